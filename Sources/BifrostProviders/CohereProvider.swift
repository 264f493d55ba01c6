import BifrostCore
import BifrostHTTP
import BifrostPluginKit
import Foundation

/// Cohere's v2 chat API: `POST {base}/v2/chat` with `Authorization: Bearer`, JSON or Server-Sent
/// Events. Default base URL `https://api.cohere.com`, overridable with `network_config.base_url`.
public struct CohereProvider: Provider {
    public let name: String
    private let config: ProviderConfig
    private let upstream: UpstreamCall
    private let endpoint: Result<ParsedURL, BifrostError>

    /// The default base URL.
    public static let defaultBaseURL = "https://api.cohere.com"

    public init(name: String = "cohere", baseURL: String = CohereProvider.defaultBaseURL, client: HTTPClient, config: ProviderConfig) {
        self.name = name
        self.config = config
        upstream = UpstreamCall(provider: name, client: client, config: config, keyHeader: .bearer,
                                errors: { status, body, headers in CohereCodec.upstreamError(status: status, body: body, headers: headers,
                                                                                               provider: name) })
        let base = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        endpoint = upstream.endpoint(base.hasSuffix("/v2") ? "\(base)/chat" : "\(base)/v2/chat")
    }

    public func complete(_ request: BifrostRequest, key: ProviderKey, context: BifrostContext) async throws -> BifrostResponse {
        let body = try CohereCodec.requestBody(request, provider: name, stream: false)
        let (value, latency) = try await upstream.json(body, to: try endpoint.get(), key: key, context: context)
        var result = try CohereCodec.response(value, request: request, provider: name, now: Int(Date().timeIntervalSince1970))
        result.extraFields.latency = UpstreamCall.milliseconds(latency)
        if config.sendBackRawResponse { result.extraFields.rawResponse = value }
        return result
    }

    public func stream(_ request: BifrostRequest, key: ProviderKey, context: BifrostContext) async throws -> BifrostStream {
        let body = try CohereCodec.requestBody(request, provider: name, stream: true)
        let provider = name
        return try await upstream.stream(body, to: try endpoint.get(), key: key, context: context) {
            CohereStreamTranslator(provider: provider, model: request.model, created: Int(Date().timeIntervalSince1970))
        }
    }
}
