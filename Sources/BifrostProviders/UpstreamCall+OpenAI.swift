import BifrostCore
import BifrostHTTP
import BifrostPluginKit
import Foundation

extension UpstreamCall {
    /// One call in OpenAI's wire format (the OpenAI-compatible providers and Azure): the request
    /// written by ``OpenAICodec``, the answer decoded into a response with its latency (and the raw
    /// provider JSON when `send_back_raw_response` is on).
    func openAICompletion(_ request: BifrostRequest, to endpoint: ParsedURL, key: ProviderKey, context: BifrostContext,
                          sendBackRawResponse: Bool, tokenLimit: OpenAICodec.TokenLimitName = .fixed(.maxTokens)) async throws -> BifrostResponse {
        let body = OpenAICodec.requestBody(request, stream: false, tokenLimit: tokenLimit)
        let (bytes, latency) = try await call(body, to: endpoint, key: key, context: context)
        return try openAIResponse(bytes, latency: latency, request: request, sendBackRawResponse: sendBackRawResponse)
    }

    /// The answer of ``openAICompletion(_:to:key:context:sendBackRawResponse:tokenLimit:)`` decoded
    /// (synchronous, so that the decoder's state stays out of the async caller's frame).
    @inline(never)
    private func openAIResponse(_ bytes: [UInt8], latency: Duration, request: BifrostRequest,
                                sendBackRawResponse: Bool) throws -> BifrostResponse {
        let decoder = OpenAIResponseDecoder(request: request, provider: provider, now: Int(Date().timeIntervalSince1970))
        var result = try decoder.decode(bytes)
        result.extraFields.latency = UpstreamCall.milliseconds(latency)
        if sendBackRawResponse { result.extraFields.rawResponse = try? JSONParser.parse(bytes) }
        return result
    }

    /// A streamed call in OpenAI's wire format, relayed chunk by chunk; `reportedModel` is the model
    /// the chunks' `extra_fields` name when it is not the one sent (Vertex sends `google/<model>`).
    func openAIStream(_ request: BifrostRequest, to endpoint: ParsedURL, key: ProviderKey, context: BifrostContext,
                      skipsEmptyChunks: Bool = false, tokenLimit: OpenAICodec.TokenLimitName = .fixed(.maxTokens),
                      reportedModel: String? = nil) async throws -> BifrostStream {
        let provider = self.provider
        let model = reportedModel ?? request.model
        let body = OpenAICodec.requestBody(request, stream: true, tokenLimit: tokenLimit)
        return try await stream(body, to: endpoint, key: key, context: context) {
            OpenAIStreamTranslator(provider: provider, model: model, skipsEmptyChunks: skipsEmptyChunks)
        }
    }
}
