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
