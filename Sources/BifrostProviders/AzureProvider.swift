import BifrostCore
import BifrostHTTP
import BifrostPluginKit

/// Azure OpenAI: OpenAI's wire format at
/// `{endpoint}/openai/deployments/{deployment}/{chat/completions|completions|embeddings}?api-version=...`
/// with an `api-key` header. The model is mapped to its deployment through `meta_config.deployments`
/// (see ``AzureSettings``); a model without one fails with a 400 before any call.
public struct AzureProvider: Provider {
    public let name: String
    /// Endpoint, deployments and API version, read from `meta_config` once.
    public let settings: AzureSettings
    private let config: ProviderConfig
    private let upstream: UpstreamCall

    /// An adapter for `name` whose endpoint, deployments and API version come from `config`'s `meta_config`.
    public init(name: String = "azure", client: HTTPClient, config: ProviderConfig) {
        self.name = name
        settings = AzureSettings(config: config)
        self.config = config
        upstream = UpstreamCall(provider: name, client: client, config: config, keyHeader: .named("api-key"))
    }

    /// The URL for `request`'s kind and model.
    func url(for request: BifrostRequest) throws(BifrostError) -> String {
        let deployment = try settings.deployment(for: request.model, provider: name)
        return try settings.url(deployment: deployment, path: OpenAICompatibleProvider.path(for: request.input.kind), provider: name)
    }

    /// ``url(for:)`` parsed; parsed per request, as the deployment varies with the model.
    private func endpoint(for request: BifrostRequest) throws(BifrostError) -> ParsedURL {
        try upstream.endpoint(try url(for: request)).get()
    }

    public func complete(_ request: BifrostRequest, key: ProviderKey, context: BifrostContext) async throws -> BifrostResponse {
        try await upstream.openAICompletion(request, to: try endpoint(for: request), key: key, context: context,
                                            sendBackRawResponse: config.sendBackRawResponse, tokenLimit: .clients)
    }

    public func stream(_ request: BifrostRequest, key: ProviderKey, context: BifrostContext) async throws -> BifrostStream {
        // Azure opens with a chunk of prompt_filter_results only: nothing for the client.
        try await upstream.openAIStream(request, to: try endpoint(for: request), key: key, context: context, skipsEmptyChunks: true,
                                        tokenLimit: .clients)
    }
}
