import BifrostCore
import BifrostPluginKit

/// One message of an Anthropic Messages request: `user` or `assistant`, with a string or blocks.
struct AnthropicMessage: Equatable {
    var role: String
    var content: AnthropicContent

    func write(to writer: inout JSONWriter) {
        writer.open()
        writer.member("role", role)
        writer.key("content")
        content.write(to: &writer)
        writer.close()
    }
}

/// Message (or tool result) content: a plain string, or content blocks.
enum AnthropicContent: Equatable {
    case text(String)
    case blocks([AnthropicBlock])

    func write(to writer: inout JSONWriter) {
        switch self {
        case .text(let text): writer.string(text)
        case .blocks(let blocks): writer.array(blocks) { $1.write(to: &$0) }
        }
    }
}

/// A content block of a request.
enum AnthropicBlock: Equatable {
    case text(String)
    /// A base64 image (`source.type: base64`).
    case base64Image(mediaType: String, data: String)
    /// An image by URL (`source.type: url`).
    case urlImage(String)
    case toolUse(id: String, name: String, input: JSONValue)
    case toolResult(toolUseID: String, content: AnthropicContent?)

    /// The block for an OpenAI content part: data URLs become base64 sources, others URL sources.
    init(_ part: ContentPart) {
        switch part {
        case .text(let text): self = .text(text)
        case .image(let url, _):
            if let (mediaType, data) = part.base64Image {
                self = .base64Image(mediaType: mediaType, data: data)
            } else {
                self = .urlImage(url)
            }
        }
    }

    func write(to writer: inout JSONWriter) {
        writer.open()
        switch self {
        case .text(let text):
            writer.member("type", "text")
            writer.member("text", text)
        case .base64Image(let mediaType, let data):
            writer.member("type", "image")
            writer.key("source")
            writer.open()
            writer.member("type", "base64")
            writer.member("media_type", mediaType)
            writer.member("data", data)
            writer.close()
        case .urlImage(let url):
            writer.member("type", "image")
            writer.key("source")
            writer.open()
            writer.member("type", "url")
            writer.member("url", url)
            writer.close()
        case .toolUse(let id, let name, let input):
            writer.member("type", "tool_use")
            writer.member("id", id)
            writer.member("name", name)
            writer.key("input")
            writer.json(input)
        case .toolResult(let toolUseID, let content):
            writer.member("type", "tool_result")
            writer.member("tool_use_id", toolUseID)
            if let content {
                writer.key("content")
                content.write(to: &writer)
            }
        }
        writer.close()
    }
}
