import BifrostCore
import BifrostHTTP
import BifrostPluginKit
import Foundation

/// Anthropic's Messages API (`POST {base}/v1/messages`, `x-api-key`, `anthropic-version`): chat and
/// text completions, JSON and streamed, translated to and from OpenAI's shape. Embeddings are not
/// offered by Anthropic and fail with a 400 that allows fallbacks.
public struct AnthropicProvider: Provider {
    public let name: String
    /// Base URL without a trailing slash, e.g. `https://api.anthropic.com`.
    public let baseURL: String
    private let client: HTTPClient
    private let config: ProviderConfig

    /// The `anthropic-version` header sent unless `network_config.extra_headers` sets one.
    public static let apiVersion = "2023-06-01"
    /// The default base URL.
    public static let defaultBaseURL = "https://api.anthropic.com"

    public init(name: String = "anthropic", baseURL: String = AnthropicProvider.defaultBaseURL, client: HTTPClient,
                config: ProviderConfig) {
        self.name = name
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.client = client
        self.config = config
    }

    /// The Messages URL; a base URL that already ends in `/v1` is not given a second one.
    var messagesURL: String { baseURL.hasSuffix("/v1") ? "\(baseURL)/messages" : "\(baseURL)/v1/messages" }

    /// `x-api-key` (when the key is not empty) and `anthropic-version` (unless an extra header sets it).
    func headers(key: ProviderKey) -> HTTPHeaders {
        var headers = HTTPHeaders()
        if !key.value.isEmpty { headers.add(name: "x-api-key", value: key.value) }
        if !config.network.extraHeaders.keys.contains(where: { $0.lowercased() == "anthropic-version" }) {
            headers.add(name: "anthropic-version", value: Self.apiVersion)
        }
        return headers
    }

    static let embeddingsUnsupported = BifrostError(message: "anthropic does not offer embeddings", type: "unsupported_operation",
                                                    statusCode: 400, allowFallbacks: true)

    public func complete(_ request: BifrostRequest, key: ProviderKey, context: BifrostContext) async throws -> BifrostResponse {
        let started = ContinuousClock.now
        let upstream = UpstreamCall(provider: name, url: messagesURL, client: client, config: config)
        let response = try await upstream.send(try AnthropicRequestCodec.requestBody(request, stream: false),
                                               headers: headers(key: key), context: context, stream: false)
        let body = try await upstream.collect(response)
        guard (200..<300).contains(response.status.code) else {
            throw AnthropicResponseCodec.upstreamError(status: response.status.code, body: body, headers: response.headers, provider: name)
        }
        let latency = ContinuousClock.now - started
        let value: JSONValue
        do {
            value = try JSONParser.parse(body)
        } catch {
            throw BifrostError(message: "\(name) returned a response that is not valid JSON: \(error)", type: "invalid_response",
                               statusCode: 502)
        }
        let kind = request.input.kind
        guard var result = AnthropicResponseCodec.response(value, kind: kind, request: request, provider: name,
                                                           now: Int(Date().timeIntervalSince1970)) else {
            throw BifrostError(message: "\(name) returned JSON that is not a message", type: "invalid_response", statusCode: 502)
        }
        result.extraFields.latency = Int(latency.components.seconds * 1000 + latency.components.attoseconds / 1_000_000_000_000_000)
        if config.sendBackRawResponse { result.extraFields.rawResponse = value }
        return result
    }

    public func stream(_ request: BifrostRequest, key: ProviderKey, context: BifrostContext) async throws -> BifrostStream {
        let started = ContinuousClock.now
        let upstream = UpstreamCall(provider: name, url: messagesURL, client: client, config: config)
        let response = try await upstream.send(try AnthropicRequestCodec.requestBody(request, stream: true),
                                               headers: headers(key: key), context: context, stream: true)
        guard (200..<300).contains(response.status.code) else {
            let body = try await upstream.collect(response)
            throw AnthropicResponseCodec.upstreamError(status: response.status.code, body: body, headers: response.headers, provider: name)
        }
        let provider = name
        let host = HTTPOriginName(url: baseURL)
        let model = request.model
        let kind = request.input.kind
        let created = Int(Date().timeIntervalSince1970)
        return AsyncThrowingStream { continuation in
            let task = Task(executorPreference: context.executor) {
                var parser = ServerSentEventParser()
                var translator = AnthropicStreamTranslator(provider: provider, model: model, created: created, kind: kind)
                var first = true
                do {
                    for try await bytes in response.body {
                        for event in parser.feed(bytes) {
                            if first {
                                let latency = ContinuousClock.now - started
                                context.record { $0.firstChunkLatency = latency }
                                first = false
                            }
                            if let chunk = try translator.translate(event) { continuation.yield(chunk) }
                            if translator.isFinished {
                                continuation.finish()
                                return
                            }
                        }
                    }
                    // The body ended without message_stop: the stream was cut.
                    continuation.finish(throwing: BifrostError(message: "\(provider) stream ended before message_stop",
                                                               type: "network", statusCode: 502))
                } catch let error as BifrostError {
                    continuation.finish(throwing: error)
                } catch {
                    continuation.finish(throwing: ProviderErrors.transport(error, provider: provider, host: host))
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
