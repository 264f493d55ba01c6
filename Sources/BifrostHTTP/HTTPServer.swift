import BifrostIO
import BifrostTLS
import Dispatch
import Glibc
import Logging
import Synchronization

/// Counters shared by a server's loops.
final class HTTPServerState: Sendable {
    let openConnections = Atomic<Int>(0)
    let acceptedConnections = Atomic<Int>(0)
    let rejectedConnections = Atomic<Int>(0)
    let requestsServed = Atomic<Int>(0)
    let requestsRejected = Atomic<Int>(0)
}

/// An HTTP/1.1 server on an ``EventLoopGroup``: one `SO_REUSEPORT` listener per loop, so the
/// kernel spreads connections over the loops and no connection ever changes thread.
public final class HTTPServer: Sendable {
    public let configuration: HTTPServerConfiguration
    private let group: EventLoopGroup
    private let contexts: [LoopBound<ServerLoopContext>]
    private let state = HTTPServerState()
    private let boundPort = Atomic<Int>(0)
    private let lifecycle = Mutex<Lifecycle>(.idle)
    private let logger: Logger

    private enum Lifecycle { case idle, running, stopping, stopped }

    /// - Parameters:
    ///   - tls: serve HTTPS with this server context; plain HTTP when `nil`.
    ///   - observer: told about every finished exchange, on the loop thread (metrics); none when `nil`.
    public init(configuration: HTTPServerConfiguration, group: EventLoopGroup, handler: any HTTPHandler,
                tls: TLSContext? = nil, logger: Logger = Logger(label: "bifrost.http"),
                observer: (any HTTPExchangeObserver)? = nil) {
        self.configuration = configuration
        self.group = group
        self.logger = logger
        let state = self.state
        contexts = group.loops.map {
            LoopBound(ServerLoopContext(loop: $0, configuration: configuration, handler: handler,
                                                   tls: tls, logger: logger, shared: state, observer: observer))
        }
    }

    /// The bound port (useful with port 0), valid after ``start()``.
    public var port: Int { boundPort.load(ordering: .acquiring) }
    /// Connections currently open.
    public var openConnections: Int { state.openConnections.load(ordering: .relaxed) }
    /// Connections accepted since start (refused ones included).
    public var acceptedConnections: Int { state.acceptedConnections.load(ordering: .relaxed) }
    /// Connections refused because ``HTTPServerConfiguration/maxConnections`` was reached.
    public var rejectedConnections: Int { state.rejectedConnections.load(ordering: .relaxed) }

    /// Binds one listener per loop and starts accepting. Resolves the host (blocking): call it off the loops.
    public func start() throws {
        try lifecycle.withLock { state in
            guard state == .idle else { throw HTTPServerStartError.alreadyStarted }
            state = .running
        }
        var fds: [Int32] = []
        do {
            var port = try Socket.probeAvailability(host: configuration.host, port: configuration.port)
            for _ in contexts {
                let listener = try Socket.listen(host: configuration.host, port: port,
                                                 backlog: configuration.backlog, reusePort: true)
                fds.append(listener.fd)
                port = listener.port
            }
        } catch {
            fds.forEach(closeDescriptor)
            throw error
        }
        boundPort.store(try Socket.localPort(fds[0]), ordering: .releasing)
        let failures = Mutex<[String]>([])
        let registered = DispatchGroup()
        for (context, fd) in zip(contexts, fds) {
            registered.enter()
            context.value.loop.execute {
                do { try context.value.startListening(fd: fd) } catch {
                    closeDescriptor(fd)
                    failures.withLock { $0.append("\(error)") }
                }
                registered.leave()
            }
        }
        registered.wait()
        if let failure = failures.withLock({ $0.first }) { throw HTTPServerStartError.register(failure) }
    }

    /// Stops accepting, lets in-flight requests finish for up to `gracePeriod` seconds
    /// (default: the configured one), then closes whatever is left. Blocks the calling thread;
    /// do not call it from an event loop.
    public func shutdown(gracePeriod: Double? = nil) {
        guard beginShutdown() else { return }
        let deadline = MonotonicClock.now() &+ Nanoseconds.seconds(gracePeriod ?? configuration.shutdownGracePeriod)
        while openConnections > 0 && MonotonicClock.now() < deadline { usleep(5_000) }
        finishShutdown()
        while openConnections > 0 { usleep(1_000) }
    }

    /// The async form of ``shutdown(gracePeriod:)``.
    public func shutdown(gracePeriod: Double? = nil) async {
        guard beginShutdown() else { return }
        let deadline = MonotonicClock.now() &+ Nanoseconds.seconds(gracePeriod ?? configuration.shutdownGracePeriod)
        while openConnections > 0 && MonotonicClock.now() < deadline { try? await Task.sleep(for: .milliseconds(5)) }
        finishShutdown()
        while openConnections > 0 { try? await Task.sleep(for: .milliseconds(1)) }
    }

    private func beginShutdown() -> Bool {
        let proceed = lifecycle.withLock { state -> Bool in
            guard state == .running else { return false }
            state = .stopping
            return true
        }
        guard proceed else { return false }
        for context in contexts { context.value.loop.execute { context.value.beginDraining() } }
        return true
    }

    private func finishShutdown() {
        let remaining = openConnections
        if remaining > 0 { logger.warning("grace period over; closing connections", metadata: ["open": "\(remaining)"]) }
        for context in contexts { context.value.loop.execute { context.value.closeAll() } }
        lifecycle.withLock { $0 = .stopped }
    }
}

/// Why ``HTTPServer/start()`` failed after binding.
public enum HTTPServerStartError: Error, CustomStringConvertible {
    case alreadyStarted
    case register(String)

    public var description: String {
        switch self {
        case .alreadyStarted: "the server was already started"
        case .register(let reason): "cannot watch the listening socket: \(reason)"
        }
    }
}

