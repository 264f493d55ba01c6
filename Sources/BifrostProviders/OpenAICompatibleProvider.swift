import BifrostCore
import BifrostHTTP
import BifrostPluginKit

/// A provider that speaks OpenAI's API: `openai` itself and the compatible family (ollama, groq,
/// mistral, openrouter, cerebras, sgl, parasail, and custom providers based on openai), with
/// `Authorization: Bearer {key}` (left out for an empty key).
public struct OpenAICompatibleProvider: Provider {
    public let name: String
    /// Base URL without a trailing slash, e.g. `https://api.openai.com`.
    public let baseURL: String
    private let config: ProviderConfig
    private let upstream: UpstreamCall
    /// OpenAI gets the limit as `max_completion_tokens`, custom endpoints under the client's name, the
    /// built-in compatible providers as `max_tokens` (Mistral rejects the other name, Ollama ignores it).
    private let tokenLimit: OpenAICodec.TokenLimitName
    /// The parsed URL of each kind of call (or why the base URL is unusable), made once.
    private let endpoints: Endpoints

    /// One endpoint per kind, chosen with a switch (a dictionary hashed the kind on every call).
    private struct Endpoints {
        let chat: Result<ParsedURL, BifrostError>
        let text: Result<ParsedURL, BifrostError>
        let embedding: Result<ParsedURL, BifrostError>

        subscript(kind: RequestKind) -> Result<ParsedURL, BifrostError> {
            switch kind {
            case .chatCompletion: chat
            case .textCompletion: text
            case .embedding: embedding
            }
        }
    }

    /// An adapter for `name` at `baseURL` (a trailing slash is dropped), calling through `client`.
    public init(name: String, baseURL: String, client: HTTPClient, config: ProviderConfig) {
        self.name = name
        let base = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.baseURL = base
        self.config = config
        tokenLimit = name == "openai" ? .fixed(.maxCompletionTokens) : config.baseProviderType != nil ? .clients : .fixed(.maxTokens)
        let upstream = UpstreamCall(provider: name, client: client, config: config, keyHeader: .bearer)
        self.upstream = upstream
        func endpoint(_ kind: RequestKind) -> Result<ParsedURL, BifrostError> {
            upstream.endpoint(Self.url(base: base, Self.path(for: kind)))
        }
        endpoints = Endpoints(chat: endpoint(.chatCompletion), text: endpoint(.textCompletion), embedding: endpoint(.embedding))
    }

    /// The URL for an OpenAI path such as `chat/completions`; a base URL that already ends in
    /// `/v1` is not given a second one.
    func url(_ path: String) -> String {
        Self.url(base: baseURL, path)
    }

    private static func url(base: String, _ path: String) -> String {
        base.hasSuffix("/v1") ? "\(base)/\(path)" : "\(base)/v1/\(path)"
    }

    /// The OpenAI path of each kind of request.
    static func path(for kind: RequestKind) -> String {
        switch kind {
        case .chatCompletion: "chat/completions"
        case .textCompletion: "completions"
        case .embedding: "embeddings"
        }
    }

    public func complete(_ request: BifrostRequest, key: ProviderKey, context: BifrostContext) async throws -> BifrostResponse {
        try await upstream.openAICompletion(request, to: try endpoints[request.input.kind].get(), key: key, context: context,
                                            sendBackRawResponse: config.sendBackRawResponse, tokenLimit: tokenLimit)
    }

    public func stream(_ request: BifrostRequest, key: ProviderKey, context: BifrostContext) async throws -> BifrostStream {
        try await upstream.openAIStream(request, to: try endpoints[request.input.kind].get(), key: key, context: context,
                                        tokenLimit: tokenLimit)
    }
}
