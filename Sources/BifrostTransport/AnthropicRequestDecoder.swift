import BifrostCore
import BifrostPluginKit

/// Reads an Anthropic Messages request (`POST /anthropic/v1/messages`) into a ``BifrostRequest``:
/// `system` becomes the first message, content blocks become parts, `tool_use` blocks tool calls,
/// `tool_result` blocks tool messages (placed before the rest of their user turn, as OpenAI's
/// order requires), tools and `tool_choice` map across, and unknown top-level fields pass through.
/// Errors name the path, e.g. `messages[1].content[0].source.data`.
enum AnthropicRequestDecoder {
    private static let structural: Set<String> = ["model", "provider", "messages", "system", "fallbacks", "stream", "max_tokens",
                                                  "stop_sequences", "temperature", "top_p", "top_k", "tools", "tool_choice",
                                                  "metadata"]

    static func decode(_ body: [UInt8], knownProviders: Set<String>) throws(RequestValidationError) -> BifrostRequest {
        let root = try CompletionRequestDecoder.object(body)
        let (provider, model) = try CompletionRequestDecoder.target(root, defaultProvider: "anthropic", knownProviders: knownProviders)
        var messages = try system(root["system"])
        guard case .array(let items)? = root["messages"], !items.isEmpty else {
            throw invalid("messages", "is required and must be a non-empty array")
        }
        for (index, item) in items.enumerated() {
            messages += try turn(item, path: "messages[\(index)]")
        }
        var stream = false
        if let value = root["stream"] {
            guard case .bool(let flag) = value else { throw invalid("stream", "must be true or false") }
            stream = flag
        }
        return BifrostRequest(provider: provider, model: model, input: .chat(messages), params: try parameters(root),
                              fallbacks: try CompletionRequestDecoder.fallbacks(root["fallbacks"]), stream: stream)
    }

    /// `system`: a string or text blocks.
    private static func system(_ value: JSONValue?) throws(RequestValidationError) -> [BifrostMessage] {
        switch value {
        case nil, .null?: return []
        case .string(let text)?: return text.isEmpty ? [] : [.text("system", text)]
        case .array(let blocks)?:
            var texts: [String] = []
            for (index, block) in blocks.enumerated() {
                guard let text = block["text"]?.stringValue else { throw invalid("system[\(index)].text", "is required") }
                texts.append(text)
            }
            return [.text("system", texts.joined(separator: "\n"))]
        default:
            throw invalid("system", "must be a string or an array of text blocks")
        }
    }

    /// One Anthropic turn; a user turn with tool results becomes tool messages then the user message.
    private static func turn(_ value: JSONValue, path: String) throws(RequestValidationError) -> [BifrostMessage] {
        guard case .string(let role)? = value["role"], role == "user" || role == "assistant" else {
            throw invalid("\(path).role", "must be user or assistant")
        }
        switch value["content"] {
        case .string(let text)?:
            return [.text(role, text)]
        case .array(let blocks)?:
            var parts: [ContentPart] = []
            var toolCalls: [ToolCall] = []
            var toolResults: [BifrostMessage] = []
            for (index, block) in blocks.enumerated() {
                let blockPath = "\(path).content[\(index)]"
                switch block["type"]?.stringValue {
                case "text":
                    guard let text = block["text"]?.stringValue else { throw invalid("\(blockPath).text", "is required") }
                    parts.append(.text(text))
                case "image":
                    parts.append(try image(block["source"], path: "\(blockPath).source"))
                case "tool_use" where role == "assistant":
                    guard let id = block["id"]?.stringValue, let name = block["name"]?.stringValue else {
                        throw invalid(blockPath, "needs id and name")
                    }
                    var arguments = JSONWriter(capacity: 64)
                    arguments.json(block["input"] ?? .object([:]))
                    toolCalls.append(ToolCall(id: id, name: name, arguments: String(decoding: arguments.bytes, as: UTF8.self)))
                case "tool_result" where role == "user":
                    guard let id = block["tool_use_id"]?.stringValue else { throw invalid("\(blockPath).tool_use_id", "is required") }
                    toolResults.append(BifrostMessage(role: "tool", content: .text(try resultText(block["content"], path: blockPath)),
                                                      toolCallID: id))
                case "thinking", "redacted_thinking":
                    continue  // the model's own reasoning from an earlier turn; providers rebuild it
                default:
                    throw invalid("\(blockPath).type", "must be text, image, tool_use (assistant) or tool_result (user)")
                }
            }
            var messages = toolResults
            if !parts.isEmpty || !toolCalls.isEmpty {
                let content: MessageContent? = parts.isEmpty ? nil : (parts.count == 1 && isText(parts[0]) ? .text(text(parts[0])) : .parts(parts))
                messages.append(BifrostMessage(role: role, content: content, toolCalls: toolCalls.isEmpty ? nil : toolCalls))
            }
            return messages
        default:
            throw invalid("\(path).content", "must be a string or an array of content blocks")
        }
    }

    /// `{type: base64, media_type, data}` → a data URL; `{type: url, url}` → the URL.
    private static func image(_ source: JSONValue?, path: String) throws(RequestValidationError) -> ContentPart {
        switch source?["type"]?.stringValue {
        case "base64":
            guard let mediaType = source?["media_type"]?.stringValue, let data = source?["data"]?.stringValue else {
                throw invalid(path, "needs media_type and data")
            }
            return .image(url: "data:\(mediaType);base64,\(data)", detail: nil)
        case "url":
            guard let url = source?["url"]?.stringValue else { throw invalid("\(path).url", "is required") }
            return .image(url: url, detail: nil)
        default:
            throw invalid("\(path).type", "must be base64 or url")
        }
    }

    /// A tool result's content: a string or text blocks (other blocks are not supported here).
    private static func resultText(_ value: JSONValue?, path: String) throws(RequestValidationError) -> String {
        switch value {
        case nil, .null?: return ""
        case .string(let text)?: return text
        case .array(let blocks)?:
            var texts: [String] = []
            for (index, block) in blocks.enumerated() {
                guard block["type"]?.stringValue == "text", let text = block["text"]?.stringValue else {
                    throw invalid("\(path).content[\(index)]", "must be a text block")
                }
                texts.append(text)
            }
            return texts.joined(separator: "\n")
        default:
            throw invalid("\(path).content", "must be a string or an array of text blocks")
        }
    }

    private static func isText(_ part: ContentPart) -> Bool {
        if case .text = part { return true }
        return false
    }

    private static func text(_ part: ContentPart) -> String {
        if case .text(let text) = part { return text }
        return ""
    }

    /// Sampling, limits, stop sequences, tools and `tool_choice`; anything unknown goes to `extra`.
    private static func parameters(_ root: [String: JSONValue]) throws(RequestValidationError) -> ModelParameters {
        var known: [String: JSONValue] = [:]
        for name in ["max_tokens", "stop_sequences", "temperature", "top_p", "top_k"] { known[name] = root[name] }
        if let userID = root["metadata"]?["user_id"] { known["user"] = userID }
        var extra: [String: JSONValue] = [:]
        for (name, value) in root where !structural.contains(name) { extra[name] = value }
        var params = try MessageConversion.parameters(KnownParameters(known), extra: extra)
        params.tools = try tools(root["tools"])
        if let choice = root["tool_choice"], choice != .null {
            switch choice["type"]?.stringValue {
            case "auto": params.toolChoice = .auto
            case "any": params.toolChoice = .required
            case "none": params.toolChoice = ToolChoice.none
            case "tool":
                guard let name = choice["name"]?.stringValue else { throw invalid("tool_choice.name", "is required for type tool") }
                params.toolChoice = .function(name)
            default: throw invalid("tool_choice.type", "must be auto, any, tool or none")
            }
            if case .bool(true)? = choice["disable_parallel_tool_use"] { params.parallelToolCalls = false }
        }
        return params
    }

    /// Client tools `{name, description, input_schema}`.
    private static func tools(_ value: JSONValue?) throws(RequestValidationError) -> [Tool]? {
        guard let value, value != .null else { return nil }
        guard case .array(let items) = value else { throw invalid("tools", "must be an array") }
        var tools: [Tool] = []
        for (index, item) in items.enumerated() {
            guard let name = item["name"]?.stringValue else { throw invalid("tools[\(index)].name", "is required") }
            guard let schema = item["input_schema"] else {
                throw invalid("tools[\(index)].input_schema", "is required (server tools are not supported through the gateway)")
            }
            tools.append(Tool(function: FunctionDefinition(name: name, description: item["description"]?.stringValue, parameters: schema)))
        }
        return tools.isEmpty ? nil : tools
    }

    private static func invalid(_ path: String, _ problem: String) -> RequestValidationError {
        RequestValidationError(message: "\(path) \(problem)", param: path)
    }
}
