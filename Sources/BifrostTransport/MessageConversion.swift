import BifrostPluginKit

/// Builds chat messages and parameters from parsed JSON without another decoding pass.
/// Errors name the path, e.g. `messages[1].content`.
enum MessageConversion {
    /// A message's `content`: null, a string or an array of parts.
    static func content(_ value: JSONValue, path: @autoclosure () -> String) throws(RequestValidationError) -> MessageContent? {
        switch value {
        case .null: return nil
        case .string(let text): return .text(text)
        case .array(let parts):
            var converted: [ContentPart] = []
            for (index, part) in parts.enumerated() { converted.append(try contentPart(part, path: "\(path()).content[\(index)]")) }
            return .parts(converted)
        default: throw invalid("\(path()).content", "must be a string or an array of parts")
        }
    }

    /// A message's `tool_calls` (null for none).
    static func toolCalls(_ value: JSONValue, path: @autoclosure () -> String) throws(RequestValidationError) -> [ToolCall]? {
        if value == .null { return nil }
        guard case .array(let items) = value else { throw invalid("\(path()).tool_calls", "must be an array") }
        var converted: [ToolCall] = []
        for (index, item) in items.enumerated() {
            guard let id = item["id"]?.stringValue, let name = item["function"]?["name"]?.stringValue else {
                throw invalid("\(path()).tool_calls[\(index)]", "needs id and function.name")
            }
            converted.append(ToolCall(id: id, name: name, arguments: item["function"]?["arguments"]?.stringValue ?? ""))
        }
        return converted
    }

    private static func contentPart(_ value: JSONValue, path: String) throws(RequestValidationError) -> ContentPart {
        switch value["type"]?.stringValue {
        case "text":
            guard let text = value["text"]?.stringValue else { throw invalid("\(path).text", "is required") }
            return .text(text)
        case "image_url":
            if let url = value["image_url"]?.stringValue { return .image(url: url, detail: nil) }
            guard let url = value["image_url"]?["url"]?.stringValue else { throw invalid("\(path).image_url.url", "is required") }
            return .image(url: url, detail: value["image_url"]?["detail"]?.stringValue)
        default:
            throw invalid("\(path).type", "must be text or image_url")
        }
    }

    /// The known OpenAI parameters, checked and typed; `extra` goes along untouched.
    static func parameters(_ values: KnownParameters, extra: [String: JSONValue]) throws(RequestValidationError) -> ModelParameters {
        var params = ModelParameters(extra: extra)
        if values.isEmpty { return params }
        func number(_ parameter: KnownParameter) throws(RequestValidationError) -> Double? {
            guard let value = values[parameter], value != .null else { return nil }
            guard case .number(let number) = value else { throw invalid(parameter.name.description, "must be a number") }
            return number
        }
        func integer(_ parameter: KnownParameter) throws(RequestValidationError) -> Int? {
            guard let value = try number(parameter) else { return nil }
            guard value.rounded() == value, abs(value) < 1e15 else { throw invalid(parameter.name.description, "must be an integer") }
            return Int(value)
        }
        params.temperature = try number(.temperature)
        params.topP = try number(.topP)
        params.topK = try integer(.topK)
        let maxCompletionTokens = try integer(.maxCompletionTokens)
        let maxTokens = try integer(.maxTokens)
        params.maxTokens = maxCompletionTokens ?? maxTokens  // given both, the newer name wins, as with OpenAI
        if maxCompletionTokens != nil { params.maxTokensField = .maxCompletionTokens }
        params.presencePenalty = try number(.presencePenalty)
        params.frequencyPenalty = try number(.frequencyPenalty)
        params.seed = try integer(.seed)
        if let stop = values[.stop] ?? values[.stopSequences], stop != .null {
            switch stop {
            case .string(let single): params.stop = [single]
            case .array(let items):
                var stops: [String] = []
                for item in items {
                    guard case .string(let text) = item else { throw invalid("stop", "must be a string or an array of strings") }
                    stops.append(text)
                }
                params.stop = stops
            default: throw invalid("stop", "must be a string or an array of strings")
            }
        }
        if let format = values[.responseFormat], format != .null { params.responseFormat = format }
        if let user = values[.user], user != .null {
            guard case .string(let text) = user else { throw invalid("user", "must be a string") }
            params.user = text
        }
        if let parallel = values[.parallelToolCalls], parallel != .null {
            guard case .bool(let flag) = parallel else { throw invalid("parallel_tool_calls", "must be true or false") }
            params.parallelToolCalls = flag
        }
        if let tools = values[.tools], tools != .null {
            guard case .array(let items) = tools else { throw invalid("tools", "must be an array") }
            var converted: [Tool] = []
            for (index, item) in items.enumerated() {
                guard let name = item["function"]?["name"]?.stringValue else { throw invalid("tools[\(index)].function.name", "is required") }
                converted.append(Tool(function: FunctionDefinition(name: name, description: item["function"]?["description"]?.stringValue,
                                                                   parameters: item["function"]?["parameters"])))
            }
            params.tools = converted
        }
        if let choice = values[.toolChoice], choice != .null {
            switch choice {
            case .string("none"): params.toolChoice = ToolChoice.none
            case .string("auto"): params.toolChoice = .auto
            case .string("required"), .string("any"): params.toolChoice = .required
            default:
                guard let name = choice["function"]?["name"]?.stringValue ?? choice["name"]?.stringValue else {
                    throw invalid("tool_choice", "must be none, auto, required or {\"type\":\"function\",\"function\":{\"name\":...}}")
                }
                params.toolChoice = .function(name)
            }
        }
        return params
    }

    static func invalid(_ path: String, _ problem: String) -> RequestValidationError {
        RequestValidationError(message: "\(path) \(problem)", param: path)
    }
}
