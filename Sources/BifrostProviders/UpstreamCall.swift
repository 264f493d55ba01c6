import BifrostCore
import BifrostHTTP
import BifrostIO
import BifrostPluginKit
import Synchronization

/// The HTTP side every adapter shares, made once per provider: JSON `POST`s with the adapter's
/// auth header and `network_config.extra_headers`, timeouts from `network_config` and the request's
/// deadline, sent on the inbound connection's event loop. Failures become ``BifrostError``s (see
/// ``ProviderErrors``); keys never appear in them. A class: a call holds it across its awaits, and
/// a reference keeps that async frame small where a copy of the fields would not.
final class UpstreamCall: Sendable {
    /// How the key travels.
    enum KeyHeader: Sendable {
        /// `Authorization: Bearer {key}` (OpenAI and compatibles).
        case bearer
        /// The key as the whole value of a header, e.g. `x-api-key` (Anthropic) or `api-key` (Azure).
        case named(String)
        /// Headers computed per request from the key, the URL, the signed headers and the body (AWS SigV4).
        case signed(Signer)
    }

    /// Computes signature headers for one request.
    typealias Signer = @Sendable (_ key: ProviderKey, _ endpoint: ParsedURL, _ headers: [(name: String, value: String)],
                                  _ body: [UInt8]) -> [(name: String, value: String)]

    /// Turns a non-2xx answer (status, body, headers) into the error the engine sees.
    typealias ErrorMapper = @Sendable (_ status: Int, _ body: [UInt8], _ headers: HTTPHeaders) -> BifrostError

    let provider: String
    private let client: HTTPClient
    /// How a request's headers are made.
    private let recipe: HeaderRecipe
    /// `network_config.default_request_timeout_in_seconds`.
    private let requestTimeout: Double
    private let errorMapper: ErrorMapper
    /// ``headers(key:stream:)`` per key and stream flag for keys that are not in the config (Vertex's
    /// access tokens), built on first use. Bounded, since such keys change.
    private let builtHeaders = Mutex<[HeadersKey: HTTPHeaders]>([:])
    private struct HeadersKey: Hashable {
        let key: String
        let stream: Bool
    }
    static let builtHeadersLimit = 64
    /// The headers of each configured key, without stream and with, built at start-up: most requests
    /// use one of these, found by comparing the key (configs hold a few) without a lock or a hash.
    private let configuredHeaders: [(key: String, plain: HTTPHeaders, stream: HTTPHeaders)]

    /// What a request's headers are made of: content type, accept, the key (when not empty), then the
    /// fixed headers.
    private struct HeaderRecipe: Sendable {
        let keyHeader: KeyHeader
        /// The `Accept` of streamed calls (`text/event-stream`, or AWS's event-stream type).
        let streamAccept: String
        /// The adapter's fixed headers (after the key), then `network_config.extra_headers` sorted by name.
        let fixedHeaders: [(name: String, value: String)]

        func headers(key: ProviderKey, stream: Bool) -> HTTPHeaders {
            let fixedBytes = fixedHeaders.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 4 }
            var headers = HTTPHeaders(reservingFields: 3 + fixedHeaders.count, bytes: fixedBytes + 160)
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Accept", value: stream ? streamAccept : "application/json")
            if !key.value.isEmpty {
                switch keyHeader {
                case .bearer: headers.add(name: "Authorization", value: "Bearer \(key.value)")
                case .named(let name): headers.add(name: name, value: key.value)
                case .signed: break  // added in send, over the body
                }
            }
            for (name, value) in fixedHeaders { headers.add(name: name, value: value) }
            return headers
        }
    }

    /// - Parameter defaultHeaders: headers the adapter sends unless `extra_headers` names them
    ///   (compared case-insensitively), e.g. `anthropic-version`.
    /// - Parameter errors: how a non-2xx answer becomes an error (default: ``ProviderErrors/upstream(status:body:headers:provider:)``).
    init(provider: String, client: HTTPClient, config: ProviderConfig, keyHeader: KeyHeader,
         defaultHeaders: [(name: String, value: String)] = [], errors: ErrorMapper? = nil,
         streamAccept: String = "text/event-stream") {
        self.provider = provider
        errorMapper = errors ?? { status, body, headers in
            ProviderErrors.upstream(status: status, body: body, headers: headers, provider: provider)
        }
        self.client = client
        let extra = config.network.extraHeaders.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) }
        let overridden = Set(extra.map { $0.name.lowercased() })
        let fixedHeaders = defaultHeaders.filter { !overridden.contains($0.name.lowercased()) } + extra
        let recipe = HeaderRecipe(keyHeader: keyHeader, streamAccept: streamAccept, fixedHeaders: fixedHeaders)
        self.recipe = recipe
        requestTimeout = config.network.defaultRequestTimeout
        configuredHeaders = config.keys.map { key in
            (key.value, recipe.headers(key: key, stream: false), recipe.headers(key: key, stream: true))
        }
    }

    /// `url` parsed, or the 500 configuration error that names the provider.
    func endpoint(_ url: String) -> Result<ParsedURL, BifrostError> {
        do {
            return .success(try ParsedURL(url))
        } catch {
            return .failure(BifrostError(message: "invalid base URL for \(provider): \(error)", type: "configuration_error",
                                         statusCode: 500))
        }
    }

    /// Sends `body` and returns the parsed JSON of a 2xx answer with the time the call took; other
    /// statuses throw ``ProviderErrors/upstream(status:body:headers:provider:)``, a body that is not
    /// JSON a 502.
    func json(_ body: [UInt8], to endpoint: ParsedURL, key: ProviderKey, context: BifrostContext) async throws
        -> (value: JSONValue, latency: Duration) {
        let (bytes, latency) = try await call(body, to: endpoint, key: key, context: context)
        do {
            return (try JSONParser.parse(bytes), latency)
        } catch {
            throw BifrostError(message: "\(provider) returned a response that is not valid JSON: \(error)", type: "invalid_response",
                               statusCode: 502)
        }
    }

    /// Sends `body` and returns the body of a 2xx answer with the time the call took; other statuses
    /// throw ``ProviderErrors/upstream(status:body:headers:provider:)``.
    func call(_ body: [UInt8], to endpoint: ParsedURL, key: ProviderKey, context: BifrostContext) async throws
        -> (body: [UInt8], latency: Duration) {
        let started = ContinuousClock.now
        let response = try await send(body, to: endpoint, key: key, context: context, stream: false)
        let bytes = try await collect(response, from: endpoint)
        guard (200..<300).contains(response.status.code) else {
            throw errorMapper(response.status.code, bytes, response.headers)
        }
        return (bytes, ContinuousClock.now - started)
    }

    /// Sends `body` for a stream and, once a 2xx head arrived, relays its Server-Sent Events through
    /// the translator `makeTranslator` makes at that moment (see ``relay(_:from:framer:translator:started:context:)``).
    func stream<Translator: StreamTranslator>(_ body: [UInt8], to endpoint: ParsedURL, key: ProviderKey, context: BifrostContext,
                                              translator makeTranslator: () -> Translator) async throws -> BifrostStream
        where Translator.Event == [UInt8] {
        try await stream(body, to: endpoint, key: key, context: context, framer: SSEFramer(), translator: makeTranslator)
    }

    /// Like ``stream(_:to:key:context:translator:)`` with another framing of the body (AWS event streams).
    func stream<Framer: StreamFramer, Translator: StreamTranslator>(
        _ body: [UInt8], to endpoint: ParsedURL, key: ProviderKey, context: BifrostContext, framer: Framer,
        translator makeTranslator: () -> Translator
    ) async throws -> BifrostStream where Translator.Event == Framer.Event {
        let started = ContinuousClock.now
        let response = try await send(body, to: endpoint, key: key, context: context, stream: true)
        guard (200..<300).contains(response.status.code) else {
            let bytes = try await collect(response, from: endpoint)
            throw errorMapper(response.status.code, bytes, response.headers)
        }
        return relay(response, from: endpoint, framer: framer, translator: makeTranslator(), started: started, context: context)
    }

    /// The stream of `response`'s body: each event `framer` finds goes through `translator`, its
    /// chunks are yielded, and the stream finishes once the translator ``StreamTranslator/isFinished``.
    /// The first event records `firstChunkLatency` (from `started`); a body that ends before the
    /// translator finished is a cut stream (502); errors end the stream (transport failures mapped by
    /// ``ProviderErrors``). Runs on the context's executor; ending the stream early cancels the read.
    func relay<Framer: StreamFramer, Translator: StreamTranslator>(
        _ response: HTTPClientResponse, from endpoint: ParsedURL, framer: Framer, translator: Translator,
        started: ContinuousClock.Instant, context: BifrostContext
    ) -> BifrostStream where Translator.Event == Framer.Event {
        let provider = self.provider
        let host = endpoint.origin.authority
        return AsyncThrowingStream { continuation in
            let task = Task(executorPreference: context.executor) {
                var framer = framer
                var translator = translator
                var first = true
                do {
                    for try await bytes in response.body {
                        for event in try framer.feed(bytes) {
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
                    continuation.finish(throwing: BifrostError(message: "\(provider) stream ended before \(translator.endMarker)",
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

    /// Sends the request; returns once the response head arrived, whatever its status.
    func send(_ body: [UInt8], to endpoint: ParsedURL, key: ProviderKey, context: BifrostContext, stream: Bool) async throws
        -> HTTPClientResponse {
        let request = makeRequest(body, to: endpoint, key: key, context: context, stream: stream)
        do {
            return try await client.execute(request, on: context.executor as? EventLoop)
        } catch {
            throw transportError(error, endpoint)
        }
    }

    /// The `POST` with its headers and timeouts (synchronous, so that its temporaries stay out of
    /// the async caller's frame).
    @inline(never)
    private func makeRequest(_ body: [UInt8], to endpoint: ParsedURL, key: ProviderKey, context: BifrostContext,
                             stream: Bool) -> HTTPClientRequest {
        var headers = headers(key: key, stream: stream)
        if case .signed(let signer) = recipe.keyHeader {
            let signed = [(name: "Content-Type", value: "application/json")]
            for (name, value) in signer(key, endpoint, signed, body) { headers.add(name: name, value: value) }
        }
        return HTTPClientRequest(method: "POST", origin: endpoint.origin, target: endpoint.target,
                                 headers: headers, body: body, timeouts: timeouts(context: context, stream: stream))
    }

    @inline(never)
    private func transportError(_ error: any Error, _ endpoint: ParsedURL) -> BifrostError {
        ProviderErrors.transport(error, provider: provider, host: endpoint.origin.authority)
    }

    /// The whole body of `response`.
    func collect(_ response: HTTPClientResponse, from endpoint: ParsedURL) async throws -> [UInt8] {
        do {
            return try await response.body.collect()
        } catch {
            throw transportError(error, endpoint)
        }
    }

    /// Content type, accept, the key (when not empty), the fixed headers.
    func headers(key: ProviderKey, stream: Bool) -> HTTPHeaders {
        for configured in configuredHeaders where configured.key == key.value {
            return stream ? configured.stream : configured.plain
        }
        let cacheKey = HeadersKey(key: key.value, stream: stream)
        if let built = builtHeaders.withLock({ $0[cacheKey] }) { return built }
        let headers = recipe.headers(key: key, stream: stream)
        builtHeaders.withLock { built in
            if built.count < Self.builtHeadersLimit { built[cacheKey] = headers }
        }
        return headers
    }

    /// `default_request_timeout_in_seconds` for the head and between chunks (and in total unless
    /// streaming), never past the request's deadline.
    func timeouts(context: BifrostContext, stream: Bool) -> HTTPClientTimeouts {
        var timeouts = HTTPClientTimeouts()
        timeouts.responseHeaders = requestTimeout
        timeouts.idleBetweenChunks = requestTimeout
        if !stream { timeouts.total = requestTimeout }
        if let deadline = context.deadline {
            let remaining = deadline - ContinuousClock.now
            let seconds = Double(remaining.components.seconds) + Double(remaining.components.attoseconds) / 1e18
            timeouts.total = min(timeouts.total ?? .infinity, max(0.001, seconds))
        }
        return timeouts
    }

    /// `duration` in whole milliseconds, for `extra_fields.latency`.
    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components  // once: each read divides 128-bit numbers
        return Int(seconds * 1000 + attoseconds / 1_000_000_000_000_000)
    }
}
