import BifrostCore
import BifrostHTTP
import BifrostPluginKit
import Foundation

extension UpstreamCall {
    /// One call in Anthropic's Messages format (Anthropic, and Claude on Vertex AI with
    /// `vertexVersion`), decoded into a response with its latency (and the raw JSON when asked for).
    func anthropicCompletion(_ request: BifrostRequest, to endpoint: ParsedURL, key: ProviderKey, context: BifrostContext,
                             sendBackRawResponse: Bool, vertexVersion: String? = nil) async throws -> BifrostResponse {
        let body = try AnthropicRequestCodec.requestBody(request, stream: false, vertexVersion: vertexVersion)
        let (value, latency) = try await json(body, to: endpoint, key: key, context: context)
        guard var result = AnthropicResponseCodec.response(value, kind: request.input.kind, request: request, provider: provider,
                                                           now: Int(Date().timeIntervalSince1970)) else {
            throw BifrostError(message: "\(provider) returned JSON that is not a message", type: "invalid_response", statusCode: 502)
        }
        result.extraFields.latency = UpstreamCall.milliseconds(latency)
        if sendBackRawResponse { result.extraFields.rawResponse = value }
        return result
    }

    /// A streamed call in Anthropic's Messages format, its events translated chunk by chunk.
    func anthropicStream(_ request: BifrostRequest, to endpoint: ParsedURL, key: ProviderKey, context: BifrostContext,
                         vertexVersion: String? = nil) async throws -> BifrostStream {
        let body = try AnthropicRequestCodec.requestBody(request, stream: true, vertexVersion: vertexVersion)
        let provider = self.provider
        return try await stream(body, to: endpoint, key: key, context: context) {
            AnthropicStreamTranslator(provider: provider, model: request.model, created: Int(Date().timeIntervalSince1970),
                                      kind: request.input.kind)
        }
    }
}
