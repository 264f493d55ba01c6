import BifrostHTTP
import BifrostIO
import BifrostTLS
import Dispatch
import Glibc
import Synchronization

/// A handler made from a closure, for tests.
public struct ClosureHandler: HTTPHandler {
    public let body: @Sendable (HTTPRequest, HTTPResponder) -> Void
    public init(body: @escaping @Sendable (HTTPRequest, HTTPResponder) -> Void) { self.body = body }
    public func handle(_ request: HTTPRequest, responder: HTTPResponder) { body(request, responder) }
}

/// Echoes the request back as text: `METHOD target|body`.
public let echoHandler = ClosureHandler { request, responder in
    let text = "\(request.method) \(request.target)|" + String(decoding: request.body, as: UTF8.self)
    responder.send(HTTPResponse(status: .ok, headers: HTTPHeaders([("Content-Type", "text/plain")]), body: Array(text.utf8)))
}

/// An in-process server on 127.0.0.1, port 0, with its own two event loops.
public final class TestServer: Sendable {
    public let group: EventLoopGroup
    public let server: HTTPServer
    public var port: Int { server.port }

    public init(configure: (inout HTTPServerConfiguration) -> Void = { _ in }, handler: any HTTPHandler = echoHandler,
                tls: TLSContext? = nil) throws {
        var configuration = HTTPServerConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configure(&configuration)
        group = try EventLoopGroup(loopCount: 2, name: "test-loop")
        server = HTTPServer(configuration: configuration, group: group, handler: handler, tls: tls)
        try server.start()
    }

    public func client(receiveBufferBytes: Int32? = nil) throws -> TestClient {
        try TestClient(port: port, receiveBufferBytes: receiveBufferBytes)
    }

    /// Stops the server (with the given grace) and the loops.
    public func stop(grace: Double = 1) {
        server.shutdown(gracePeriod: grace)
        group.shutdown()
    }

    deinit { stop() }
}

/// Runs `body` after `seconds` on a Dispatch thread (never the Swift cooperative pool, which the
/// blocking test client may occupy).
public func after(_ seconds: Double, _ body: @escaping @Sendable () -> Void) {
    DispatchQueue.global().asyncAfter(deadline: .now() + seconds, execute: body)
}

/// Polls `condition` every 10 ms for up to `seconds`.
public func eventually(within seconds: Double = 3, _ condition: () -> Bool) -> Bool {
    let deadline = MonotonicClock.now() + Nanoseconds.seconds(seconds)
    while MonotonicClock.now() < deadline {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}

/// Milliseconds on the monotonic clock, for timing checks.
public func nowMilliseconds() -> Double {
    Double(MonotonicClock.now()) / 1_000_000
}

/// A thread-safe flag for handlers and tasks to report what happened.
public final class Flag: Sendable {
    public init() {}
    private let state = Atomic<Bool>(false)
    public func set() { state.store(true, ordering: .releasing) }
    public var isSet: Bool { state.load(ordering: .acquiring) }
}

/// A thread-safe counter.
public final class Counter: Sendable {
    public init() {}
    private let state = Atomic<Int>(0)
    public func increment() { state.add(1, ordering: .relaxed) }
    public var value: Int { state.load(ordering: .relaxed) }
}
