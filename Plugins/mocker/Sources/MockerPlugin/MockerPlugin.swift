import BifrostPluginKit

/// Canned answers for testing applications without providers: the first rule whose pattern
/// matches the request's `provider/model` short-circuits with its response (streamed word by word
/// for streaming requests) or its error. Requests no rule matches go to the provider, or fail
/// with 404 when `unmatched` is `"error"`.
public final class MockerPlugin: Plugin {
    public let name = "mocker"
    public let rules: [MockRule]
    /// Whether requests no rule matches go on to the provider (true) or fail with 404 (false).
    public let passUnmatched: Bool

    /// Direct instantiation.
    public init(rules: [MockRule], passUnmatched: Bool = true) {
        self.rules = rules
        self.passUnmatched = passUnmatched
    }

    /// `Init` from the plugin's `config` JSON: `{"rules": [...], "unmatched": "pass" | "error"}`.
    public convenience init(config: JSONValue) throws {
        guard case .array(let entries)? = config["rules"] else {
            throw PluginConfigurationError("mocker: config.rules: expected an array of rules")
        }
        let rules = try entries.enumerated().map { try MockRule.parse($1, path: "mocker: config.rules[\($0)]") }
        let unmatched = config["unmatched"]?.stringValue ?? "pass"
        guard unmatched == "pass" || unmatched == "error" else {
            throw PluginConfigurationError("mocker: config.unmatched: expected \"pass\" or \"error\"")
        }
        self.init(rules: rules, passUnmatched: unmatched == "pass")
    }

    public func preHook(_ context: BifrostContext, _ request: BifrostRequest) async throws -> (BifrostRequest, PluginShortCircuit?) {
        guard let rule = rules.first(where: { $0.matches(request) }) else {
            if passUnmatched { return (request, nil) }
            return (request, .fail(BifrostError(message: "no mock rule matches \(request.provider)/\(request.model)",
                                                type: "mock_not_found", statusCode: 404, allowFallbacks: true)))
        }
        if rule.latency > .zero { try await Task.sleep(for: rule.latency) }
        switch rule.outcome {
        case .error(let error):
            return (request, .fail(error))
        case .response(let content, let embedding, let usage, let finishReason):
            let response = MockResponses.response(for: request, content: content, embedding: embedding, usage: usage,
                                                  finishReason: finishReason)
            if request.stream && request.input.kind != .embedding {
                return (request, .stream(MockResponses.stream(response, content: content, kind: request.input.kind)))
            }
            return (request, .respond(response))
        }
    }
}
