import BifrostCore
import BifrostHTTP
import BifrostPluginKit
import Foundation

/// Google AI Studio's Gemini API: `POST {base}/v1beta/models/{model}:generateContent` and
/// `:streamGenerateContent?alt=sse`, key in `x-goog-api-key`. Default base URL
/// `https://generativelanguage.googleapis.com`, overridable with `network_config.base_url`.
public struct GeminiProvider: Provider {
    public let name: String
    public let baseURL: String
    private let config: ProviderConfig
    private let upstream: UpstreamCall

    /// The default base URL.
    public static let defaultBaseURL = "https://generativelanguage.googleapis.com"

    public init(name: String = "gemini", baseURL: String = GeminiProvider.defaultBaseURL, client: HTTPClient, config: ProviderConfig) {
        self.name = name
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.config = config
        upstream = UpstreamCall(provider: name, client: client, config: config, keyHeader: .named("x-goog-api-key"))
    }

    /// The URL for `model`; a base URL that already ends in a version (`/v1beta`, `/v1`) gets no second one.
    func url(model: String, stream: Bool) -> String {
        let versioned = baseURL.hasSuffix("/v1beta") || baseURL.hasSuffix("/v1") ? baseURL : "\(baseURL)/v1beta"
        let name = model.hasPrefix("models/") ? String(model.dropFirst(7)) : model
        let method = stream ? "streamGenerateContent?alt=sse" : "generateContent"
        return "\(versioned)/models/\(AWSSigner.uriEncode(name)):\(method)"
    }

    public func complete(_ request: BifrostRequest, key: ProviderKey, context: BifrostContext) async throws -> BifrostResponse {
        let endpoint = try upstream.endpoint(url(model: request.model, stream: false)).get()
        let body = try GeminiRequestCodec.requestBody(request, provider: name)
        let (value, latency) = try await upstream.json(body, to: endpoint, key: key, context: context)
        var result = try GeminiResponseCodec.response(value, request: request, provider: name, now: Int(Date().timeIntervalSince1970))
        result.extraFields.latency = UpstreamCall.milliseconds(latency)
        if config.sendBackRawResponse { result.extraFields.rawResponse = value }
        return result
    }

    public func stream(_ request: BifrostRequest, key: ProviderKey, context: BifrostContext) async throws -> BifrostStream {
        let endpoint = try upstream.endpoint(url(model: request.model, stream: true)).get()
        let body = try GeminiRequestCodec.requestBody(request, provider: name)
        let provider = name
        return try await upstream.stream(body, to: endpoint, key: key, context: context) {
            GeminiStreamTranslator(provider: provider, model: request.model, created: Int(Date().timeIntervalSince1970))
        }
    }
}
