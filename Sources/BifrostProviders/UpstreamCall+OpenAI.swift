import BifrostCore
import BifrostHTTP
import BifrostPluginKit
import Foundation

extension UpstreamCall {
    /// One call in OpenAI's wire format (the OpenAI-compatible providers and Azure): the request
    /// written by ``OpenAICodec``, the answer decoded into a response with its latency (and the raw
    /// provider JSON when `send_back_raw_response` is on).
    func openAICompletion(_ request: BifrostRequest, to endpoint: ParsedURL, key: ProviderKey, context: BifrostContext,
                          sendBackRawResponse: Bool) async throws -> BifrostResponse {
        let (bytes, latency) = try await call(OpenAICodec.requestBody(request, stream: false), to: endpoint, key: key, context: context)
        return try openAIResponse(bytes, latency: latency, request: request, sendBackRawResponse: sendBackRawResponse)
    }

    /// The answer of ``openAICompletion(_:to:key:context:sendBackRawResponse:)`` decoded
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

    /// A streamed call in OpenAI's wire format, relayed chunk by chunk.
    func openAIStream(_ request: BifrostRequest, to endpoint: ParsedURL, key: ProviderKey, context: BifrostContext,
                      skipsEmptyChunks: Bool = false) async throws -> BifrostStream {
        let provider = self.provider
        return try await stream(OpenAICodec.requestBody(request, stream: true), to: endpoint, key: key, context: context) {
            OpenAIStreamTranslator(provider: provider, model: request.model, skipsEmptyChunks: skipsEmptyChunks)
        }
    }
}
