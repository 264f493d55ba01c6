import BifrostCore
import BifrostPluginKit

/// Reads a Gemini `generateContent` body (Google's GenAI SDKs) into a ``BifrostRequest`` for the
/// model named in the URL: `systemInstruction` becomes the system message, `contents` the turns
/// (`model` → assistant), `inlineData`/`fileData` images, `functionCall`/`functionResponse` tool calls
/// and results, `generationConfig` the sampling parameters, `functionDeclarations` the tools. Fields
/// only Gemini understands (e.g. `safetySettings`) pass through when Gemini answers.
enum GenAIRequestDecoder {
    private static let structural: Set<String> = ["contents", "systemInstruction", "system_instruction", "generationConfig",
                                                  "generation_config", "tools", "toolConfig", "tool_config", "fallbacks"]

    static func decode(_ body: [UInt8], model: String, stream: Bool, knownProviders: Set<String>) throws(RequestValidationError)
        -> BifrostRequest {
        let root = try CompletionRequestDecoder.object(body)
        let (provider, name) = try CompletionRequestDecoder.target(["model": .string(model)], defaultProvider: "gemini",
                                                                   knownProviders: knownProviders)
        var messages: [BifrostMessage] = []
        if let system = root["systemInstruction"] ?? root["system_instruction"] {
            let text = texts(system["parts"])
            if !text.isEmpty { messages.append(.text("system", text)) }
        }
        guard case .array(let contents)? = root["contents"], !contents.isEmpty else {
            throw RequestValidationError(message: "contents is required and must be a non-empty array", param: "contents")
        }
        var callIDs: [String: String] = [:]  // function name → id of its latest call
        for (index, content) in contents.enumerated() {
            messages += try turn(content, path: "contents[\(index)]", callIDs: &callIDs)
        }
        var params = try parameters(root["generationConfig"] ?? root["generation_config"])
        params.tools = try tools(root["tools"])
        params.toolChoice = toolChoice(root["toolConfig"] ?? root["tool_config"])
        if provider == "gemini" {
            for (key, value) in root where !structural.contains(key) { params.extra[key] = value }
        }
        return BifrostRequest(provider: provider, model: name, input: .chat(messages), params: params,
                              fallbacks: try CompletionRequestDecoder.fallbacks(root["fallbacks"]), stream: stream)
    }

    private static func turn(_ content: JSONValue, path: String, callIDs: inout [String: String]) throws(RequestValidationError)
        -> [BifrostMessage] {
        let role = content["role"]?.stringValue == "model" ? "assistant" : "user"
        guard case .array(let parts)? = content["parts"] else { throw invalid("\(path).parts", "is required and must be an array") }
        var pieces: [ContentPart] = []
        var calls: [ToolCall] = []
        var results: [BifrostMessage] = []
        for (index, part) in parts.enumerated() {
            let partPath = "\(path).parts[\(index)]"
            if let text = part["text"]?.stringValue {
                if part["thought"] != .bool(true) { pieces.append(.text(text)) }
            } else if let data = part["inlineData"] ?? part["inline_data"] {
                guard let mime = (data["mimeType"] ?? data["mime_type"])?.stringValue, let bytes = data["data"]?.stringValue else {
                    throw invalid("\(partPath).inlineData", "needs mimeType and data")
                }
                pieces.append(.image(url: "data:\(mime);base64,\(bytes)", detail: nil))
            } else if let file = part["fileData"] ?? part["file_data"] {
                guard let uri = (file["fileUri"] ?? file["file_uri"])?.stringValue else { throw invalid("\(partPath).fileData.fileUri", "is required") }
                pieces.append(.image(url: uri, detail: nil))
            } else if let call = part["functionCall"] ?? part["function_call"] {
                guard let name = call["name"]?.stringValue else { throw invalid("\(partPath).functionCall.name", "is required") }
                let id = call["id"]?.stringValue ?? "call_\(name)_\(callIDs.count)"
                callIDs[name] = id
                var arguments = JSONWriter(capacity: 64)
                arguments.json(call["args"] ?? .object([:]))
                calls.append(ToolCall(id: id, name: name, arguments: String(decoding: arguments.bytes, as: UTF8.self)))
            } else if let response = part["functionResponse"] ?? part["function_response"] {
                guard let name = response["name"]?.stringValue else { throw invalid("\(partPath).functionResponse.name", "is required") }
                var text = JSONWriter(capacity: 64)
                text.json(response["response"] ?? .object([:]))
                results.append(BifrostMessage(role: "tool", content: .text(String(decoding: text.bytes, as: UTF8.self)), name: name,
                                              toolCallID: response["id"]?.stringValue ?? callIDs[name] ?? name))
            } else {
                throw invalid(partPath, "must hold text, inlineData, fileData, functionCall or functionResponse")
            }
        }
        var messages = results
        if !pieces.isEmpty || !calls.isEmpty {
            let content: MessageContent? = pieces.isEmpty ? nil
                : pieces.allSatisfy({ if case .text = $0 { true } else { false } })
                    ? .text(pieces.map { if case .text(let text) = $0 { text } else { "" } }.joined()) : .parts(pieces)
            messages.append(BifrostMessage(role: role, content: content, toolCalls: calls.isEmpty ? nil : calls))
        }
        return messages
    }

    private static func texts(_ parts: JSONValue?) -> String {
        guard case .array(let items)? = parts else { return "" }
        return items.compactMap { $0["text"]?.stringValue }.joined(separator: "\n")
    }

    private static func parameters(_ config: JSONValue?) throws(RequestValidationError) -> ModelParameters {
        guard let config else { return ModelParameters() }
        var known: [String: JSONValue] = [:]
        let names = [("temperature", "temperature"), ("topP", "top_p"), ("topK", "top_k"), ("maxOutputTokens", "max_tokens"),
                     ("stopSequences", "stop"), ("seed", "seed"), ("presencePenalty", "presence_penalty"),
                     ("frequencyPenalty", "frequency_penalty")]
        for (gemini, openAI) in names {
            if let value = config[gemini] ?? config[snake(gemini)] { known[openAI] = value }
        }
        var params = try MessageConversion.parameters(KnownParameters(known), extra: [:])
        if (config["responseMimeType"] ?? config["response_mime_type"])?.stringValue == "application/json" {
            params.responseFormat = .object(["type": .string("json_object")])
        }
        return params
    }

    private static func tools(_ value: JSONValue?) throws(RequestValidationError) -> [Tool]? {
        guard case .array(let groups)? = value else { return nil }
        var tools: [Tool] = []
        for group in groups {
            guard case .array(let declarations)? = group["functionDeclarations"] ?? group["function_declarations"] else { continue }
            for (index, declaration) in declarations.enumerated() {
                guard let name = declaration["name"]?.stringValue else { throw invalid("tools.functionDeclarations[\(index)].name", "is required") }
                tools.append(Tool(function: FunctionDefinition(name: name, description: declaration["description"]?.stringValue,
                                                               parameters: declaration["parameters"])))
            }
        }
        return tools.isEmpty ? nil : tools
    }

    private static func toolChoice(_ value: JSONValue?) -> ToolChoice? {
        let config = value?["functionCallingConfig"] ?? value?["function_calling_config"]
        switch config?["mode"]?.stringValue {
        case "NONE": return ToolChoice.none
        case "AUTO": return .auto
        case "ANY":
            if case .array(let names)? = config?["allowedFunctionNames"] ?? config?["allowed_function_names"],
               names.count == 1, let name = names[0].stringValue {
                return .function(name)
            }
            return .required
        default: return nil
        }
    }

    private static func snake(_ name: String) -> String {
        name.reduce(into: "") { out, character in
            if character.isUppercase { out += "_" + character.lowercased() } else { out.append(character) }
        }
    }

    private static func invalid(_ path: String, _ problem: String) -> RequestValidationError {
        RequestValidationError(message: "\(path) \(problem)", param: path)
    }
}
