import BifrostCore
import BifrostPluginKit

/// Writes Bedrock Converse request bodies (`POST /model/{id}/converse[-stream]`) from a
/// ``BifrostRequest``: system messages to `system`, tool calls to `toolUse` blocks, tool results to
/// `toolResult` blocks in a user turn (consecutive ones merged), base64 images to `image` blocks,
/// sampling to `inferenceConfig`, tools to `toolConfig`. Provider-specific parameters (`params.extra`)
/// go to `additionalModelRequestFields` untouched.
enum BedrockRequestCodec {
    static func requestBody(_ request: BifrostRequest, provider: String) throws(BifrostError) -> [UInt8] {
        let messages = try request.input.chatMessages(
            unsupported: .unsupported("\(provider) embeddings are not served through Converse"))
        var writer = JSONWriter(capacity: 512)
        writer.open()
        let system = messages.filter { $0.role == "system" || $0.role == "developer" }.compactMap { $0.content?.plainText }
        if !system.isEmpty {
            writer.key("system")
            writer.array(system) { writer, text in
                writer.open()
                writer.member("text", text)
                writer.close()
            }
        }
        writer.key("messages")
        let turns = try turns(messages.filter { $0.role != "system" && $0.role != "developer" })
        writer.array(turns) { writer, turn in
            writer.open()
            writer.member("role", turn.role)
            writer.key("content")
            writer.array(turn.blocks) { writer, block in writer.json(block) }
            writer.close()
        }
        inferenceConfig(request.params, into: &writer)
        toolConfig(request.params, into: &writer)
        if !request.params.extra.isEmpty {
            writer.key("additionalModelRequestFields")
            writer.json(.object(request.params.extra))
        }
        writer.close()
        return writer.bytes
    }

    /// Bedrock alternates user and assistant turns; tool results travel as a user turn.
    private static func turns(_ messages: [BifrostMessage]) throws(BifrostError) -> [(role: String, blocks: [JSONValue])] {
        var turns: [(role: String, blocks: [JSONValue])] = []
        for (index, message) in messages.enumerated() {
            let role = message.role == "assistant" ? "assistant" : "user"
            var blocks: [JSONValue] = []
            if message.role == "tool" {
                blocks.append(.object(["toolResult": .object([
                    "toolUseId": .string(message.toolCallID ?? ""),
                    "content": .array([.object(["text": .string(message.content?.plainText ?? "")])]),
                ])]))
            } else {
                blocks += try content(message.content, path: "messages[\(index)].content")
                for call in message.toolCalls ?? [] {
                    let input = (try? JSONParser.parse(Array(call.function.arguments.utf8))) ?? .object([:])
                    blocks.append(.object(["toolUse": .object([
                        "toolUseId": .string(call.id), "name": .string(call.function.name), "input": input,
                    ])]))
                }
            }
            if let last = turns.last, last.role == role {
                turns[turns.count - 1].blocks += blocks
            } else {
                turns.append((role, blocks))
            }
        }
        return turns
    }

    private static func content(_ content: MessageContent?, path: String) throws(BifrostError) -> [JSONValue] {
        switch content {
        case nil: return []
        case .text(let text)?: return text.isEmpty ? [] : [.object(["text": .string(text)])]
        case .parts(let parts)?:
            var blocks: [JSONValue] = []
            for (index, part) in parts.enumerated() {
                switch part {
                case .text(let text):
                    blocks.append(.object(["text": .string(text)]))
                case .image:
                    guard let image = part.base64Image else {
                        throw BifrostError(message: "\(path)[\(index)]: Bedrock takes images as base64 data URLs, not links",
                                           type: "invalid_request_error", param: "\(path)[\(index)]", statusCode: 400)
                    }
                    let format = image.mediaType.split(separator: "/").last.map(String.init) ?? "png"
                    blocks.append(.object(["image": .object([
                        "format": .string(format == "jpg" ? "jpeg" : format), "source": .object(["bytes": .string(image.data)]),
                    ])]))
                }
            }
            return blocks
        }
    }

    private static func inferenceConfig(_ params: ModelParameters, into writer: inout JSONWriter) {
        var config: [String: JSONValue] = [:]
        if let maxTokens = params.maxTokens { config["maxTokens"] = .number(Double(maxTokens)) }
        if let temperature = params.temperature { config["temperature"] = .number(temperature) }
        if let topP = params.topP { config["topP"] = .number(topP) }
        if let stop = params.stop, !stop.isEmpty { config["stopSequences"] = .array(stop.map(JSONValue.string)) }
        guard !config.isEmpty else { return }
        writer.key("inferenceConfig")
        writer.json(.object(config))
    }

    private static func toolConfig(_ params: ModelParameters, into writer: inout JSONWriter) {
        guard let tools = params.tools, !tools.isEmpty, params.toolChoice != ToolChoice.none else { return }
        var config: [String: JSONValue] = ["tools": .array(tools.map { tool in
            var spec: [String: JSONValue] = [
                "name": .string(tool.function.name),
                "inputSchema": .object(["json": tool.function.parameters ?? .object(["type": .string("object")])]),
            ]
            if let description = tool.function.description { spec["description"] = .string(description) }
            return .object(["toolSpec": .object(spec)])
        })]
        switch params.toolChoice {
        case .auto?: config["toolChoice"] = .object(["auto": .object([:])])
        case .required?: config["toolChoice"] = .object(["any": .object([:])])
        case .function(let name)?: config["toolChoice"] = .object(["tool": .object(["name": .string(name)])])
        case .none?, nil: break
        }
        writer.key("toolConfig")
        writer.json(.object(config))
    }
}
