import BifrostCore
import BifrostHTTP
import BifrostPluginKit
import BifrostProviders
import Foundation
import Logging

/// `POST /v1/chat/completions`, `/v1/text/completions` (and `/v1/completions`), `/v1/embeddings`:
/// decode, run through the engine on the connection's event loop, answer JSON or Server-Sent Events.
struct CompletionRoutes: Sendable {
    let engine: Bifrost
    let logger: Logger

    func register(into router: inout Router) {
        router.add("POST", "/v1/chat/completions") { handle($0, $1, kind: .chatCompletion, route: "/v1/chat/completions") }
        router.add("POST", "/v1/text/completions") { handle($0, $1, kind: .textCompletion, route: "/v1/text/completions") }
        router.add("POST", "/v1/completions") { handle($0, $1, kind: .textCompletion, route: "/v1/completions") }
        router.add("POST", "/v1/embeddings") { handle($0, $1, kind: .embedding, route: "/v1/embeddings") }
    }

    /// Runs one request. The task runs on the connection's loop; the client going away cancels it.
    func handle(_ request: HTTPRequest, _ responder: HTTPResponder, kind: RequestKind, route: String,
                defaultProvider: String? = nil) {
        let context = BifrostContext(headers: RequestHeaders(request.headers), executor: responder.eventLoop)
        let engine = self.engine
        let logger = self.logger
        let task = Task(executorPreference: responder.eventLoop) {
            let started = ContinuousClock.now
            var log = RequestLog(method: request.method, route: route)
            defer { log.write(to: logger, started: started) }
            let bifrostRequest: BifrostRequest
            do throws(RequestValidationError) {
                bifrostRequest = try CompletionRequestDecoder.decode(request.body, kind: kind, defaultProvider: defaultProvider)
            } catch {
                log.status = 400
                responder.send(ResponseEncoding.error(error.bifrostError))
                return
            }
            log.provider = bifrostRequest.provider
            log.model = bifrostRequest.model
            if bifrostRequest.stream && kind != .embedding {
                log.status = await Self.stream(bifrostRequest, engine: engine, context: context, responder: responder)
            } else {
                do throws(BifrostError) {
                    let response = try await engine.complete(bifrostRequest, context: context)
                    log.status = 200
                    responder.send(ResponseEncoding.json(response))
                } catch {
                    log.status = error.httpStatus
                    responder.send(ResponseEncoding.error(error))
                }
            }
        }
        responder.onCancel {
            context.cancel()
            task.cancel()
        }
    }

    /// Streams chunks as SSE; a failure before the first chunk is a normal JSON error, a failure
    /// after it an SSE error event and the end of the stream without `[DONE]`. Returns the status.
    private static func stream(_ request: BifrostRequest, engine: Bifrost, context: BifrostContext,
                               responder: HTTPResponder) async -> Int {
        let chunks: BifrostStream
        do throws(BifrostError) {
            chunks = try await engine.stream(request, context: context)
        } catch {
            responder.send(ResponseEncoding.error(error))
            return error.httpStatus
        }
        let writer = responder.startStream(ResponseEncoding.eventStreamHead)
        do {
            for try await chunk in chunks {
                try await writer.write(ResponseEncoding.event(chunk))
            }
            try await writer.write(ResponseEncoding.done)
            writer.finish()
            return 200
        } catch HTTPServerError.clientGone {
            context.cancel()
            return 499
        } catch {
            let failure = Bifrost.error(from: error, provider: request.provider)
            try? await writer.write(ResponseEncoding.errorEvent(failure))
            writer.finish()
            return failure.httpStatus
        }
    }
}

/// The one info line per request: method, route, provider/model, status, latency. Never keys or bodies.
struct RequestLog {
    let method: String
    let route: String
    var provider: String?
    var model: String?
    var status = 500

    func write(to logger: Logger, started: ContinuousClock.Instant) {
        guard logger.logLevel <= .info else { return }
        let elapsed = ContinuousClock.now - started
        let hundredths = elapsed.components.seconds * 100_000 + elapsed.components.attoseconds / 10_000_000_000_000
        let tenths = (hundredths + 5) / 10  // of a millisecond, rounded
        var metadata: Logger.Metadata = ["method": "\(method)", "route": "\(route)", "status": "\(status)",
                                         "latency_ms": "\(tenths / 10).\(tenths % 10)"]
        if let provider { metadata["provider"] = "\(provider)" }
        if let model { metadata["model"] = "\(model)" }
        logger.info("request", metadata: metadata)
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
