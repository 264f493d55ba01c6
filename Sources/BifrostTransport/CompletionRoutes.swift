import BifrostCore
import BifrostHTTP
import BifrostPluginKit
import BifrostProviders
import Foundation
import Logging

/// The completion routes: `POST /v1/chat/completions`, `/v1/text/completions` (and `/v1/completions`),
/// `/v1/embeddings`; the same under `/openai/v1` for OpenAI SDKs (a model without a `provider/` prefix
/// goes to `openai`); `POST /anthropic/v1/messages` in Anthropic's shape (default provider
/// `anthropic`); and `POST /genai/v1beta/models/{model}:generateContent` / `:streamGenerateContent`
/// in Gemini's shape (default provider `gemini`). Each request is decoded, run through the engine on the connection's event loop,
/// and answered as JSON or Server-Sent Events in its route's dialect.
struct CompletionRoutes: Sendable {
    let engine: Bifrost
    let logger: Logger
    /// Where the line per request goes; nil when the log level hides it (decided once, not per request).
    let accessLog: AccessLog?
    /// The configured provider names.
    let providers: Set<String>

    func register(into router: inout Router) {
        let openAIPaths: [(String, RequestKind)] = [
            ("chat/completions", .chatCompletion), ("text/completions", .textCompletion), ("completions", .textCompletion),
            ("embeddings", .embedding),
        ]
        for (path, kind) in openAIPaths {
            // Route names are made once here, not per request.
            let native = OpenAIDialect(kind: kind, defaultProvider: nil, knownProviders: providers)
            let nativeRoute = "/v1/\(path)"
            router.add("POST", nativeRoute) { handle($0, $1, dialect: native, route: nativeRoute) }
            let dropIn = OpenAIDialect(kind: kind, defaultProvider: "openai", knownProviders: providers)
            let dropInRoute = "/openai/v1/\(path)"
            router.add("POST", dropInRoute) { handle($0, $1, dialect: dropIn, route: dropInRoute) }
        }
        let anthropic = AnthropicDialect(knownProviders: providers)
        router.add("POST", "/anthropic/v1/messages") { handle($0, $1, dialect: anthropic, route: "/anthropic/v1/messages") }
        let known = providers
        router.add("POST", prefix: GenAIDialect.prefix, label: "/genai/v1beta/models/{model}") { request, responder in
            guard let target = GenAIDialect.target(path: request.path) else {
                responder.send(HTTPResponse.json(.notFound, GenAIWire.error(BifrostError(
                    message: "no route for \(request.path): use /genai/v1beta/models/{model}:generateContent or :streamGenerateContent",
                    type: "not_found", statusCode: 404))))
                return
            }
            let dialect = GenAIDialect(model: target.model, stream: target.stream, knownProviders: known)
            handle(request, responder, dialect: dialect, route: "/genai/v1beta/models/{model}")
        }
    }

    /// Runs one request. The task runs on the connection's loop; the client going away cancels it.
    func handle<Dialect: RouteDialect>(_ request: HTTPRequest, _ responder: HTTPResponder, dialect: Dialect, route: String) {
        let context = BifrostContext(headers: RequestHeaders(request.headers), executor: responder.eventLoop)
        let engine = self.engine
        let logger = self.logger
        let accessLog = self.accessLog
        let task = Task(executorPreference: responder.eventLoop) {
            let started = ContinuousClock.now
            var log = RequestLog(method: request.method, route: route)
            defer { log.write(to: logger, accessLog, started: started) }
            guard let bifrostRequest = Self.decode(request, dialect: dialect, responder: responder, log: &log) else { return }
            if bifrostRequest.stream && bifrostRequest.input.kind != .embedding {
                log.status = await Self.stream(bifrostRequest, engine: engine, context: context, responder: responder, dialect: dialect)
            } else {
                let result: Result<BifrostResponse, BifrostError>
                do throws(BifrostError) {
                    result = .success(try await engine.complete(bifrostRequest, context: context))
                } catch {
                    result = .failure(error)
                }
                log.status = Self.send(result, dialect: dialect, context: context, responder: responder)
            }
        }
        responder.onCancel {
            context.cancel()
            task.cancel()
        }
    }

    // The synchronous steps of a request live outside the task's closure: whatever an async body
    // builds is laid out in its frame, which every request allocates.

    /// The request decoded, or nil after answering the client with the error.
    @inline(never)
    private static func decode<Dialect: RouteDialect>(_ request: HTTPRequest, dialect: Dialect, responder: HTTPResponder,
                                                      log: inout RequestLog) -> BifrostRequest? {
        do throws(BifrostError) {
            let decoded = try dialect.decode(request.body)
            log.provider = decoded.provider
            log.model = decoded.model
            return decoded
        } catch {
            log.status = error.httpStatus
            responder.send(dialect.error(error))
            return nil
        }
    }

    /// Answers with the response or the error in the route's dialect; returns the status.
    @inline(never)
    private static func send<Dialect: RouteDialect>(_ result: Result<BifrostResponse, BifrostError>, dialect: Dialect,
                                                    context: BifrostContext, responder: HTTPResponder) -> Int {
        switch result {
        case .success(let response):
            responder.send(withPluginHeaders(dialect.response(response), context))
            return 200
        case .failure(let error):
            responder.send(withPluginHeaders(dialect.error(error), context))
            return error.httpStatus
        }
    }

    /// Streams chunks as SSE; a failure before the first chunk is a normal JSON error, a failure
    /// after it an error event and the end of the stream without a clean end. Returns the status.
    private static func stream<Dialect: RouteDialect>(_ request: BifrostRequest, engine: Bifrost, context: BifrostContext,
                                                      responder: HTTPResponder, dialect: Dialect) async -> Int {
        let chunks: BifrostStream
        do throws(BifrostError) {
            chunks = try await engine.stream(request, context: context)
        } catch {
            responder.send(withPluginHeaders(dialect.error(error), context))
            return error.httpStatus
        }
        var head = ResponseEncoding.eventStreamHead
        for header in context.responseHeaders { head.headers.add(name: header.name, value: header.value) }
        let writer = responder.startStream(head)
        var events = dialect.events(for: request)
        do {
            for try await chunk in chunks {
                let bytes = events.chunk(chunk)
                if !bytes.isEmpty { try await writer.write(bytes) }
            }
            try await writer.write(events.end())
            writer.finish()
            return 200
        } catch HTTPServerError.clientGone {
            context.cancel()
            return 499
        } catch {
            let failure = Bifrost.error(from: error, provider: request.provider)
            try? await writer.write(events.failure(failure))
            writer.finish()
            return failure.httpStatus
        }
    }
}

extension CompletionRoutes {
    /// `response` plus the headers plugins asked for (``BifrostContext/addResponseHeader(_:_:)``,
    /// e.g. the cache plugin's `x-bf-cache`).
    static func withPluginHeaders(_ response: HTTPResponse, _ context: BifrostContext) -> HTTPResponse {
        let extra = context.responseHeaders
        guard !extra.isEmpty else { return response }
        var response = response
        for header in extra { response.headers.replaceOrAdd(name: header.name, value: header.value) }
        return response
    }
}

/// The one info line per request: method, route, provider/model, status, latency. Never keys or bodies.
struct RequestLog {
    let method: String
    let route: String
    var provider: String?
    var model: String?
    var status = 500

    func write(to logger: Logger, _ accessLog: AccessLog?, started: ContinuousClock.Instant) {
        guard let accessLog else { return }
        let (seconds, attoseconds) = (ContinuousClock.now - started).components  // once: each read divides 128-bit numbers
        let hundredths = seconds * 100_000 + attoseconds / 10_000_000_000_000
        let tenths = Int((hundredths + 5) / 10)  // of a millisecond, rounded
        accessLog.record(AccessRecord(method: method, route: route, provider: provider, model: model, status: status,
                                      latencyTenthsOfMillisecond: tenths), logger: logger)
    }
}

/// The inbound headers as plugins see them: kept in the parser's form, strings made on demand.
struct RequestHeaders: InboundHeaders {
    let headers: HTTPHeaders

    init(_ headers: HTTPHeaders) {
        self.headers = headers
    }

    func first(_ name: String) -> String? { headers.first(name) }

    var all: [(name: String, value: String)] { headers.map { (name: $0.name, value: $0.value) } }
}
