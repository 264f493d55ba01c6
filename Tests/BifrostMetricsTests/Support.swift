import BifrostHTTP
import BifrostMetrics
import BifrostPluginKit
import BifrostTestSupport
import Dispatch
import Prometheus
import Synchronization

/// The registry's exposition as text.
func exposition(_ registry: PrometheusCollectorRegistry) -> String {
    var buffer: [UInt8] = []
    registry.emit(into: &buffer)
    return String(decoding: buffer, as: UTF8.self)
}

/// The value of the sample line that starts with `series ` (name and labels exactly as emitted).
func sampleValue(_ text: String, _ series: String) -> Double? {
    for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
        return Double(line.dropFirst(series.count + 1))
    }
    return nil
}

/// A chat request to `provider`/`model`.
func chatRequest(provider: String = "openai", model: String = "gpt-4o", stream: Bool = false) -> BifrostRequest {
    BifrostRequest(provider: provider, model: model, input: .chat([.text("user", "hi")]), stream: stream)
}

/// A response from `provider`/`model` with the given usage.
func chatResponse(provider: String = "openai", model: String = "gpt-4o", usage: Usage? = Usage(promptTokens: 10, completionTokens: 5))
    -> BifrostResponse {
    BifrostResponse(id: "r1", object: "chat.completion", created: 0, model: model, usage: usage,
                    extraFields: ExtraFields(provider: provider, model: model))
}

/// Keeps every exchange the server reports, and forwards it to `next` when set.
final class RecordingObserver: HTTPExchangeObserver {
    private let records = Mutex<[HTTPExchangeRecord]>([])
    let next: (any HTTPExchangeObserver)?

    init(next: (any HTTPExchangeObserver)? = nil) { self.next = next }

    func exchangeCompleted(_ exchange: HTTPExchangeRecord) {
        records.withLock { $0.append(exchange) }
        next?.exchangeCompleted(exchange)
    }

    var all: [HTTPExchangeRecord] { records.withLock { $0 } }
}

/// An HTTP server with an exchange observer, on 127.0.0.1 port 0. It runs on the loops of a
/// ``TestServer`` (whose own server idles), so this target needs no event-loop import of its own.
final class ObservedServer: Sendable {
    private let base: TestServer
    let server: HTTPServer

    init(handler: any HTTPHandler, observer: any HTTPExchangeObserver,
         configure: (inout HTTPServerConfiguration) -> Void = { _ in }) throws {
        base = try TestServer()
        var configuration = HTTPServerConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configure(&configuration)
        server = HTTPServer(configuration: configuration, group: base.group, handler: handler, observer: observer)
        try server.start()
    }

    func client() throws -> TestClient { try TestClient(port: server.port) }

    func stop() {
        server.shutdown(gracePeriod: 1)
        base.stop()
    }

    deinit { stop() }
}

/// The bytes a response occupied on the wire, rebuilt from what the test client parsed: the status
/// line, each header as `Name: value\r\n` (the server writes one space after the colon), the blank
/// line, and the body (with chunk framing when it was chunked).
func wireSize(_ response: TestClient.Response, reason: String) -> Int {
    var size = "HTTP/1.1 \(response.status) \(reason)\r\n".utf8.count
    for (name, value) in response.headers { size += name.utf8.count + 2 + value.utf8.count + 2 }
    size += 2
    if response.header("transfer-encoding") == "chunked" {
        for chunk in response.chunkArrivals {
            size += String(chunk.bytes, radix: 16).utf8.count + 2 + chunk.bytes + 2
        }
        size += "0\r\n\r\n".utf8.count
    } else {
        size += response.body.count
    }
    return size
}

/// A route mapper like the transport's: known paths map to themselves, the rest to `unmatched`.
let testRoutes: @Sendable (String) -> String = { path in
    switch path {
    case "/health", "/v1/chat/completions", "/events": path
    default: HTTPMetrics.unmatched
    }
}

/// Runs blocking socket work on a Dispatch thread, so tests never hold a cooperative-pool thread
/// (servers' handlers and other suites' tasks need them; the pool can be as small as the core count).
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
    }
}

/// Polls `condition` every 10 ms for up to `seconds`, suspending between polls.
func waitUntil(within seconds: Double = 3, _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}
