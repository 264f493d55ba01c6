import BifrostCore
import BifrostHTTP
import BifrostPluginKit

/// Anthropic's Messages API (`POST {base}/v1/messages`, `x-api-key`, `anthropic-version`): chat and
/// text completions, JSON and streamed, translated to and from OpenAI's shape. Embeddings are not
/// offered by Anthropic and fail with a 400 that allows fallbacks.
public struct AnthropicProvider: Provider {
    public let name: String
    /// Base URL without a trailing slash, e.g. `https://api.anthropic.com`.
    public let baseURL: String
    private let config: ProviderConfig
    private let upstream: UpstreamCall
    /// ``messagesURL`` parsed once (or why the base URL is unusable).
    private let endpoint: Result<ParsedURL, BifrostError>

    /// The `anthropic-version` header sent unless `network_config.extra_headers` sets one.
    public static let apiVersion = "2023-06-01"
    /// The default base URL.
    public static let defaultBaseURL = "https://api.anthropic.com"

    /// An adapter for `name` at `baseURL` (a trailing slash is dropped), calling through `client`.
    public init(name: String = "anthropic", baseURL: String = AnthropicProvider.defaultBaseURL, client: HTTPClient,
                config: ProviderConfig) {
        self.name = name
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.config = config
        // `x-api-key` (when the key is not empty) and `anthropic-version` (unless an extra header sets it).
        upstream = UpstreamCall(provider: name, client: client, config: config, keyHeader: .named("x-api-key"),
                                defaultHeaders: [(name: "anthropic-version", value: Self.apiVersion)])
        endpoint = upstream.endpoint(Self.messagesURL(base: self.baseURL))
    }

    /// The Messages URL; a base URL that already ends in `/v1` is not given a second one.
    var messagesURL: String { Self.messagesURL(base: baseURL) }

    private static func messagesURL(base: String) -> String {
        base.hasSuffix("/v1") ? "\(base)/messages" : "\(base)/v1/messages"
    }

    static let embeddingsUnsupported = BifrostError.unsupported("anthropic does not offer embeddings")

    public func complete(_ request: BifrostRequest, key: ProviderKey, context: BifrostContext) async throws -> BifrostResponse {
        try await upstream.anthropicCompletion(request, to: try endpoint.get(), key: key, context: context,
                                               sendBackRawResponse: config.sendBackRawResponse)
    }

    public func stream(_ request: BifrostRequest, key: ProviderKey, context: BifrostContext) async throws -> BifrostStream {
        try await upstream.anthropicStream(request, to: try endpoint.get(), key: key, context: context)
    }
}
