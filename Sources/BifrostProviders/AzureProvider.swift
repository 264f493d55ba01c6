import BifrostCore
import BifrostHTTP
import BifrostPluginKit
import Foundation

/// Azure OpenAI: OpenAI's wire format at
/// `{endpoint}/openai/deployments/{deployment}/{chat/completions|completions|embeddings}?api-version=...`
/// with an `api-key` header. The model is mapped to its deployment through `meta_config.deployments`
/// (see ``AzureSettings``); a model without one fails with a 400 before any call.
public struct AzureProvider: Provider {
    public let name: String
    public let settings: AzureSettings
    private let client: HTTPClient
    private let config: ProviderConfig

    public init(name: String = "azure", client: HTTPClient, config: ProviderConfig) {
        self.name = name
        settings = AzureSettings(config: config)
        self.client = client
        self.config = config
    }

    /// The URL for `request`'s kind and model.
    func url(for request: BifrostRequest) throws(BifrostError) -> String {
        let path = switch request.input.kind {
        case .chatCompletion: "chat/completions"
        case .textCompletion: "completions"
        case .embedding: "embeddings"
        }
        let deployment = try settings.deployment(for: request.model, provider: name)
        return try settings.url(deployment: deployment, path: path, provider: name)
    }

    private func headers(key: ProviderKey) -> HTTPHeaders {
        var headers = HTTPHeaders()
        if !key.value.isEmpty { headers.add(name: "api-key", value: key.value) }
        return headers
    }

    public func complete(_ request: BifrostRequest, key: ProviderKey, context: BifrostContext) async throws -> BifrostResponse {
        let started = ContinuousClock.now
        let upstream = UpstreamCall(provider: name, url: try url(for: request), client: client, config: config)
        let response = try await upstream.send(OpenAICodec.requestBody(request, stream: false), headers: headers(key: key),
                                               context: context, stream: false)
        let body = try await upstream.collect(response)
        guard (200..<300).contains(response.status.code) else {
            throw ProviderErrors.upstream(status: response.status.code, body: body, headers: response.headers, provider: name)
        }
        let latency = ContinuousClock.now - started
        let kind = request.input.kind
        let value: JSONValue
        do {
            value = try JSONParser.parse(body)
        } catch {
            throw BifrostError(message: "\(name) returned a response that is not valid JSON: \(error)", type: "invalid_response",
                               statusCode: 502)
        }
        let now = Int(Date().timeIntervalSince1970)
        let decoded = kind == .embedding
            ? OpenAICodec.embeddings(value, request: request, provider: name, now: now)
            : OpenAICodec.response(value, kind: kind, request: request, provider: name, now: now)
        guard var result = decoded else {
            throw BifrostError(message: "\(name) returned JSON that is not a \(kind.rawValue) response", type: "invalid_response",
                               statusCode: 502)
        }
        result.extraFields.latency = Int(latency.components.seconds * 1000 + latency.components.attoseconds / 1_000_000_000_000_000)
        if config.sendBackRawResponse { result.extraFields.rawResponse = value }
        return result
    }

    public func stream(_ request: BifrostRequest, key: ProviderKey, context: BifrostContext) async throws -> BifrostStream {
        let started = ContinuousClock.now
        let upstream = UpstreamCall(provider: name, url: try url(for: request), client: client, config: config)
        let response = try await upstream.send(OpenAICodec.requestBody(request, stream: true), headers: headers(key: key),
                                               context: context, stream: true)
        guard (200..<300).contains(response.status.code) else {
            let body = try await upstream.collect(response)
            throw ProviderErrors.upstream(status: response.status.code, body: body, headers: response.headers, provider: name)
        }
        let provider = name
        let model = request.model
        let host = HTTPOriginName(url: upstream.url)
        return AsyncThrowingStream { continuation in
            let task = Task(executorPreference: context.executor) {
                var parser = ServerSentEventParser()
                var translator = OpenAIStreamTranslator(provider: provider, model: model)
                var first = true
                do {
                    for try await bytes in response.body {
                        for event in parser.feed(bytes) {
                            if event == Self.done {
                                continuation.finish()
                                return
                            }
                            if first {
                                let latency = ContinuousClock.now - started
                                context.record { $0.firstChunkLatency = latency }
                                first = false
                            }
                            let chunk = try translator.translate(event)
                            // Azure opens with a chunk of prompt_filter_results only: nothing for the client.
                            if chunk.choices.isEmpty && chunk.usage == nil { continue }
                            continuation.yield(chunk)
                        }
                    }
                    continuation.finish(throwing: BifrostError(message: "\(provider) stream ended before [DONE]", type: "network",
                                                               statusCode: 502))
                } catch let error as BifrostError {
                    continuation.finish(throwing: error)
                } catch {
                    continuation.finish(throwing: ProviderErrors.transport(error, provider: provider, host: host))
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    private static let done: [UInt8] = Array("[DONE]".utf8)
}
