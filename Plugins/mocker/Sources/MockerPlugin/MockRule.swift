import BifrostPluginKit

/// One canned answer: for requests whose `provider/model` matches `model` (and whose last message
/// contains `contains`, when given), either a response or an error, after `latency`.
public struct MockRule: Sendable {
    /// What the rule answers with.
    public enum Outcome: Sendable {
        /// A successful answer with this text (chat and text completions) or vector (embeddings).
        case response(content: String, embedding: [Double], usage: Usage, finishReason: String)
        /// A provider-like failure.
        case error(BifrostError)
    }

    let pattern: GlobPattern
    public let contains: String?
    public let outcome: Outcome
    public let latency: Duration

    public init(model: String, contains: String? = nil, outcome: Outcome, latency: Duration = .zero) {
        pattern = GlobPattern(model)
        self.contains = contains
        self.outcome = outcome
        self.latency = latency
    }

    /// Whether this rule answers `request`.
    func matches(_ request: BifrostRequest) -> Bool {
        guard pattern.matches("\(request.provider)/\(request.model)") else { return false }
        guard let contains else { return true }
        switch request.input {
        case .chat(let messages): return messages.last?.content?.plainText.contains(contains) ?? false
        case .text(let prompt): return prompt.contains(contains)
        case .embedding(let inputs): return inputs.contains { $0.contains(contains) }
        @unknown default: return false
        }
    }
}

extension MockRule {
    /// Reads one entry of `rules` (see README.md).
    static func parse(_ entry: JSONValue, path: String) throws -> MockRule {
        guard case .object = entry else { throw PluginConfigurationError("\(path): expected an object") }
        guard let model = entry["model"]?.stringValue, !model.isEmpty else {
            throw PluginConfigurationError("\(path).model: expected a \"provider/model\" pattern such as \"openai/*\"")
        }
        let latency = try milliseconds(entry["latency_ms"], path: "\(path).latency_ms")
        let contains = entry["contains"]?.stringValue
        switch (entry["response"], entry["error"]) {
        case (let response?, nil):
            let usage = response["usage"]
            let outcome = Outcome.response(
                content: response["content"]?.stringValue ?? "This is a mocked response.",
                embedding: try numbers(response["embedding"], path: "\(path).response.embedding") ?? [0, 0, 0],
                usage: Usage(promptTokens: Int(usage?["prompt_tokens"]?.numberValue ?? 0),
                             completionTokens: Int(usage?["completion_tokens"]?.numberValue ?? 0)),
                finishReason: response["finish_reason"]?.stringValue ?? "stop")
            return MockRule(model: model, contains: contains, outcome: outcome, latency: latency)
        case (nil, let error?):
            let status = error["status"]?.numberValue.map { Int($0) } ?? 500
            guard (400...599).contains(status) else { throw PluginConfigurationError("\(path).error.status: expected 400-599") }
            var allowFallbacks: Bool?
            if case .bool(let flag)? = error["allow_fallbacks"] { allowFallbacks = flag }
            let failure = BifrostError(message: error["message"]?.stringValue ?? "mocked error", type: error["type"]?.stringValue,
                                       code: error["code"]?.stringValue, statusCode: status, isBifrostError: false,
                                       allowFallbacks: allowFallbacks, retryAfter: error["retry_after"]?.numberValue)
            return MockRule(model: model, contains: contains, outcome: .error(failure), latency: latency)
        default:
            throw PluginConfigurationError("\(path): expected exactly one of \"response\" and \"error\"")
        }
    }

    private static func milliseconds(_ value: JSONValue?, path: String) throws -> Duration {
        guard let value else { return .zero }
        guard let number = value.numberValue, number >= 0 else { throw PluginConfigurationError("\(path): expected milliseconds >= 0") }
        return .microseconds(Int64(number * 1000))
    }

    private static func numbers(_ value: JSONValue?, path: String) throws -> [Double]? {
        guard let value else { return nil }
        guard case .array(let items) = value else { throw PluginConfigurationError("\(path): expected an array of numbers") }
        return try items.map { item in
            guard let number = item.numberValue else { throw PluginConfigurationError("\(path): expected an array of numbers") }
            return number
        }
    }
}
