import BifrostHTTP
import BifrostIO
import Dispatch
import Glibc
import Synchronization
import Testing

/// Every suite that talks to a live server runs one test at a time: the blocking test client
/// occupies a cooperative-pool thread, and handlers that answer from tasks need another one free.
@Suite(.serialized) enum LiveServerTests {}

/// A handler made from a closure, for tests.
struct ClosureHandler: HTTPHandler {
    let body: @Sendable (HTTPRequest, HTTPResponder) -> Void
    func handle(_ request: HTTPRequest, responder: HTTPResponder) { body(request, responder) }
}

/// Echoes the request back as text: `METHOD target|body`.
let echoHandler = ClosureHandler { request, responder in
    let text = "\(request.method) \(request.target)|" + String(decoding: request.body, as: UTF8.self)
    responder.send(HTTPResponse(status: .ok, headers: HTTPHeaders([("Content-Type", "text/plain")]), body: Array(text.utf8)))
}

/// An in-process server on 127.0.0.1, port 0, with its own two event loops.
final class TestServer {
    let group: EventLoopGroup
    let server: HTTPServer
    var port: Int { server.port }

    init(configure: (inout HTTPServerConfiguration) -> Void = { _ in }, handler: any HTTPHandler = echoHandler) throws {
        var configuration = HTTPServerConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configure(&configuration)
        group = try EventLoopGroup(loopCount: 2, name: "test-loop")
        server = HTTPServer(configuration: configuration, group: group, handler: handler)
        try server.start()
    }

    func client(receiveBufferBytes: Int32? = nil) throws -> TestClient {
        try TestClient(port: port, receiveBufferBytes: receiveBufferBytes)
    }

    /// Stops the server (with the given grace) and the loops.
    func stop(grace: Double = 1) {
        server.shutdown(gracePeriod: grace)
        group.shutdown()
    }

    deinit { stop() }
}

/// Runs `body` after `seconds` on a Dispatch thread (never the Swift cooperative pool, which the
/// blocking test client may occupy).
func after(_ seconds: Double, _ body: @escaping @Sendable () -> Void) {
    DispatchQueue.global().asyncAfter(deadline: .now() + seconds, execute: body)
}

/// Polls `condition` every 10 ms for up to `seconds`.
func eventually(within seconds: Double = 3, _ condition: () -> Bool) -> Bool {
    let deadline = MonotonicClock.now() + Nanoseconds.seconds(seconds)
    while MonotonicClock.now() < deadline {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}

/// A thread-safe flag for handlers and tasks to report what happened.
final class Flag: Sendable {
    private let state = Atomic<Bool>(false)
    func set() { state.store(true, ordering: .releasing) }
    var isSet: Bool { state.load(ordering: .acquiring) }
}

/// A thread-safe counter.
final class Counter: Sendable {
    private let state = Atomic<Int>(0)
    func increment() { state.add(1, ordering: .relaxed) }
    var value: Int { state.load(ordering: .relaxed) }
}
