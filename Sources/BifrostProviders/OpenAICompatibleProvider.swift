import BifrostCore
import BifrostHTTP
import BifrostIO
import BifrostPluginKit
import Foundation

/// A provider that speaks OpenAI's API: `openai` itself and the compatible family (ollama, groq,
/// mistral, openrouter, cerebras, sgl, parasail, and custom providers based on openai).
public struct OpenAICompatibleProvider: Provider {
    public let name: String
    /// Base URL without a trailing slash, e.g. `https://api.openai.com`.
    public let baseURL: String
    private let client: HTTPClient
    private let config: ProviderConfig
    /// The parsed URL of each kind of call (or why the base URL is unusable), made once.
    private let endpoints: [RequestKind: Result<ParsedURL, any Error>]
    /// `network_config.extra_headers`, in a stable order.
    private let extraHeaders: [(key: String, value: String)]

    public init(name: String, baseURL: String, client: HTTPClient, config: ProviderConfig) {
        self.name = name
        let base = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.baseURL = base
        self.client = client
        self.config = config
        var endpoints: [RequestKind: Result<ParsedURL, any Error>] = [:]
        for kind in [RequestKind.chatCompletion, .textCompletion, .embedding] {
            endpoints[kind] = Result { try ParsedURL(Self.url(base: base, Self.path(for: kind))) }
        }
        self.endpoints = endpoints
        extraHeaders = config.network.extraHeaders.sorted { $0.key < $1.key }
    }

    /// The URL for an OpenAI path such as `chat/completions`; a base URL that already ends in
    /// `/v1` is not given a second one.
    func url(_ path: String) -> String {
        Self.url(base: baseURL, path)
    }

    private static func url(base: String, _ path: String) -> String {
        base.hasSuffix("/v1") ? "\(base)/\(path)" : "\(base)/v1/\(path)"
    }

    private static func path(for kind: RequestKind) -> String {
        switch kind {
        case .chatCompletion: "chat/completions"
        case .textCompletion: "completions"
        case .embedding: "embeddings"
        }
    }

    public func complete(_ request: BifrostRequest, key: ProviderKey, context: BifrostContext) async throws -> BifrostResponse {
        let started = ContinuousClock.now
        let response = try await send(request, key: key, context: context, stream: false)
        let body = try await collectBody(response, context: context)
        guard (200..<300).contains(response.status.code) else {
            throw ProviderErrors.upstream(status: response.status.code, body: body, headers: response.headers, provider: name)
        }
        let latency = ContinuousClock.now - started
        var result = try decode(body, kind: request.input.kind, request: request)
        result.extraFields.latency = Int(latency.components.seconds * 1000 + latency.components.attoseconds / 1_000_000_000_000_000)
        if config.sendBackRawResponse { result.extraFields.rawResponse = try? JSONParser.parse(body) }
        return result
    }

    public func stream(_ request: BifrostRequest, key: ProviderKey, context: BifrostContext) async throws -> BifrostStream {
        let started = ContinuousClock.now
        let response = try await send(request, key: key, context: context, stream: true)
        guard (200..<300).contains(response.status.code) else {
            let body = try await collectBody(response, context: context)
            throw ProviderErrors.upstream(status: response.status.code, body: body, headers: response.headers, provider: name)
        }
        let provider = name
        let model = request.model
        let host = HTTPOriginName(url: baseURL)
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
                            continuation.yield(try translator.translate(event))
                        }
                    }
                    // The body ended without [DONE]: the stream was cut.
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

    private func send(_ request: BifrostRequest, key: ProviderKey, context: BifrostContext, stream: Bool) async throws
        -> HTTPClientResponse {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Accept", value: stream ? "text/event-stream" : "application/json")
        if !key.value.isEmpty { headers.add(name: "Authorization", value: "Bearer \(key.value)") }
        for (name, value) in extraHeaders { headers.add(name: name, value: value) }
        let body = OpenAICodec.requestBody(request, stream: stream)
        var timeouts = HTTPClientTimeouts()
        let limit = config.network.defaultRequestTimeout
        timeouts.responseHeaders = limit
        timeouts.idleBetweenChunks = limit
        if !stream { timeouts.total = limit }
        if let deadline = context.deadline {
            let remaining = deadline - ContinuousClock.now
            let seconds = Double(remaining.components.seconds) + Double(remaining.components.attoseconds) / 1e18
            timeouts.total = min(timeouts.total ?? .infinity, max(0.001, seconds))
        }
        let endpoint: ParsedURL
        do {
            endpoint = try endpoints[request.input.kind]!.get()
        } catch {
            throw BifrostError(message: "invalid base URL for \(name): \(error)", type: "configuration_error", statusCode: 500)
        }
        let httpRequest = HTTPClientRequest(method: "POST", origin: endpoint.origin, target: endpoint.target, headers: headers,
                                            body: body, timeouts: timeouts)
        do {
            return try await client.execute(httpRequest, on: context.executor as? EventLoop)
        } catch {
            throw ProviderErrors.transport(error, provider: name, host: httpRequest.origin.authority)
        }
    }

    private func collectBody(_ response: HTTPClientResponse, context: BifrostContext) async throws -> [UInt8] {
        do {
            return try await response.body.collect()
        } catch {
            throw ProviderErrors.transport(error, provider: name, host: HTTPOriginName(url: baseURL))
        }
    }

    private func decode(_ body: [UInt8], kind: RequestKind, request: BifrostRequest) throws -> BifrostResponse {
        let now = Int(Date().timeIntervalSince1970)
        do {
            let value = try JSONParser.parse(body)
            let decoded = kind == .embedding
                ? OpenAICodec.embeddings(value, request: request, provider: name, now: now)
                : OpenAICodec.response(value, kind: kind, request: request, provider: name, now: now)
            if let decoded { return decoded }
            throw BifrostError(message: "\(name) returned JSON that is not a \(kind.rawValue) response", type: "invalid_response",
                               statusCode: 502)
        } catch let error as BifrostError {
            throw error
        } catch {
            throw BifrostError(message: "\(name) returned a response that is not valid JSON: \(error)", type: "invalid_response",
                               statusCode: 502)
        }
    }
}

/// `host:port` from a base URL, for messages.
func HTTPOriginName(url: String) -> String {
    (try? ParsedURL(url))?.origin.authority ?? url
}
