import BifrostCore
import BifrostPluginKit

/// Writes Gemini `generateContent` bodies (Google AI Studio) from a ``BifrostRequest``: system
/// messages to `systemInstruction`, turns to `contents` (`user`/`model`), images to `inlineData`
/// (base64 data URLs) or `fileData` (links), tool calls to `functionCall` parts, tool results to
/// `functionResponse` parts (the function's name found from the call they answer), sampling to
/// `generationConfig`, tools to `functionDeclarations`. `params.extra` members are written at the
/// top level untouched (e.g. `safetySettings`).
enum GeminiRequestCodec {
    static func requestBody(_ request: BifrostRequest, provider: String) throws(BifrostError) -> [UInt8] {
        let messages = try request.input.chatMessages(
            unsupported: .unsupported("\(provider) embeddings are not served through generateContent"))
        var body: [String: JSONValue] = [:]
        let system = messages.filter { $0.role == "system" || $0.role == "developer" }.compactMap { $0.content?.plainText }
        if !system.isEmpty {
            body["systemInstruction"] = .object(["parts": .array(system.map { .object(["text": .string($0)]) })])
        }
        body["contents"] = .array(contents(messages.filter { $0.role != "system" && $0.role != "developer" }))
        if let config = generationConfig(request.params) { body["generationConfig"] = config }
        if let tools = request.params.tools, !tools.isEmpty {
            body["tools"] = .array([.object(["functionDeclarations": .array(tools.map { tool in
                var declaration: [String: JSONValue] = ["name": .string(tool.function.name)]
                if let description = tool.function.description { declaration["description"] = .string(description) }
                if let parameters = tool.function.parameters { declaration["parameters"] = parameters }
                return .object(declaration)
            })])])
            if let choice = request.params.toolChoice { body["toolConfig"] = toolConfig(choice) }
        }
        for (name, value) in request.params.extra { body[name] = value }
        var writer = JSONWriter(capacity: 512)
        writer.json(.object(body))
        return writer.bytes
    }

    /// Gemini alternates `user` and `model` turns; tool results go in a user turn.
    private static func contents(_ messages: [BifrostMessage]) -> [JSONValue] {
        var names: [String: String] = [:]  // tool call id → function name
        var turns: [(role: String, parts: [JSONValue])] = []
        for message in messages {
            let role = message.role == "assistant" ? "model" : "user"
            var parts: [JSONValue] = []
            if message.role == "tool" {
                let name = message.toolCallID.flatMap { names[$0] } ?? message.name ?? "tool"
                let text = message.content?.plainText ?? ""
                let response = (try? JSONParser.parse(Array(text.utf8))).flatMap { value -> JSONValue? in
                    if case .object = value { return value }
                    return nil
                } ?? .object(["result": .string(text)])
                parts.append(.object(["functionResponse": .object(["name": .string(name), "response": response])]))
            } else {
                parts += content(message.content)
                for call in message.toolCalls ?? [] {
                    names[call.id] = call.function.name
                    let args = (try? JSONParser.parse(Array(call.function.arguments.utf8))) ?? .object([:])
                    parts.append(.object(["functionCall": .object(["name": .string(call.function.name), "args": args])]))
                }
            }
            if let last = turns.last, last.role == role {
                turns[turns.count - 1].parts += parts
            } else {
                turns.append((role, parts))
            }
        }
        return turns.map { .object(["role": .string($0.role), "parts": .array($0.parts)]) }
    }

    private static func content(_ content: MessageContent?) -> [JSONValue] {
        switch content {
        case nil: return []
        case .text(let text)?: return text.isEmpty ? [] : [.object(["text": .string(text)])]
        case .parts(let parts)?:
            return parts.map { part in
                switch part {
                case .text(let text): return .object(["text": .string(text)])
                case .image(let url, _):
                    if let image = part.base64Image {
                        return .object(["inlineData": .object(["mimeType": .string(image.mediaType), "data": .string(image.data)])])
                    }
                    return .object(["fileData": .object(["fileUri": .string(url)])])
                }
            }
        }
    }

    private static func generationConfig(_ params: ModelParameters) -> JSONValue? {
        var config: [String: JSONValue] = [:]
        if let temperature = params.temperature { config["temperature"] = .number(temperature) }
        if let topP = params.topP { config["topP"] = .number(topP) }
        if let topK = params.topK { config["topK"] = .number(Double(topK)) }
        if let maxTokens = params.maxTokens { config["maxOutputTokens"] = .number(Double(maxTokens)) }
        if let stop = params.stop, !stop.isEmpty { config["stopSequences"] = .array(stop.map(JSONValue.string)) }
        if let seed = params.seed { config["seed"] = .number(Double(seed)) }
        if let presence = params.presencePenalty { config["presencePenalty"] = .number(presence) }
        if let frequency = params.frequencyPenalty { config["frequencyPenalty"] = .number(frequency) }
        if params.responseFormat?["type"]?.stringValue == "json_object" { config["responseMimeType"] = .string("application/json") }
        return config.isEmpty ? nil : .object(config)
    }

    private static func toolConfig(_ choice: ToolChoice) -> JSONValue {
        let config: [String: JSONValue] = switch choice {
        case .auto: ["mode": .string("AUTO")]
        case .none: ["mode": .string("NONE")]
        case .required: ["mode": .string("ANY")]
        case .function(let name): ["mode": .string("ANY"), "allowedFunctionNames": .array([.string(name)])]
        }
        return .object(["functionCallingConfig": .object(config)])
    }
}
