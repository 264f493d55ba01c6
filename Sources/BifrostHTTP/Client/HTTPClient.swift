import BifrostIO
import BifrostTLS
import Glibc
import Logging
import Synchronization

/// An HTTP/1.1 client on the event loops: per-origin keep-alive pools, TLS with verification,
/// gzip/deflate bodies, streamed responses, timeouts that say which limit was hit, proxies.
///
/// Requests run on the loop given to ``execute(_:on:)`` (by default the next one round-robin),
/// whose pool they share. Safe to use from any thread or task.
public final class HTTPClient: Sendable {
    public let configuration: HTTPClientConfiguration
    private let group: EventLoopGroup
    private let pools: [LoopBound<HTTPClientPool>]

    /// Creates a client; fails when the TLS configuration cannot be loaded (e.g. a missing CA file).
    /// A client with certificate verification turned off says so in the log, loudly.
    public init(group: EventLoopGroup, configuration: HTTPClientConfiguration = HTTPClientConfiguration(),
                logger: Logger = Logger(label: "bifrost.http-client")) throws {
        if !configuration.tls.verifyPeer {
            logger.warning("TLS certificate verification is DISABLED for this client: upstream identities are not checked")
        }
        self.group = group
        self.configuration = configuration
        let tlsContext = try TLSContext(client: configuration.tls)
        var environment: [String: String] = [:]
        if configuration.proxy == .environment {
            for name in ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"] {
                if let value = getenv(name) { environment[name] = String(cString: value) }
            }
        }
        pools = group.loops.map {
            LoopBound(HTTPClientPool(loop: $0, configuration: configuration, tlsContext: tlsContext, environment: environment))
        }
    }

    /// Sends `request` and returns once the response headers arrived; the body streams after.
    ///
    /// Cancelling the calling task aborts the request and closes its connection. Errors are
    /// ``HTTPClientError``s whose ``HTTPClientError/kind`` names what failed.
    public func execute(_ request: consuming HTTPClientRequest, on loop: EventLoop? = nil) async throws -> HTTPClientResponse {
        let loop = loop ?? group.next()
        let pool = pools[loop.index]
        let exchange = ClientExchange(request: request, loop: loop, now: MonotonicClock.now())
        // Unsafe continuations: the exchange resumes exactly once, under its lock (a checked one costs an allocation).
        return try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { continuation in
                exchange.setContinuation(continuation)
                if loop.inEventLoop {
                    // Already on the loop (the gateway's case): start at once, no hop and no wake-up.
                    pool.value.execute(exchange)
                } else {
                    loop.execute { pool.value.execute(exchange) }
                }
            }
        } onCancel: {
            exchange.cancel()
        }
    }

    /// Connections opened so far on every loop (for tests and stats).
    public func connectionsOpened() async -> Int {
        var total = 0
        for pool in pools { total += await onLoop(pool) { $0.connectionsOpened } }
        return total
    }

    /// TLS handshakes that resumed an earlier session, over all loops.
    public func resumedHandshakes() async -> Int {
        var total = 0
        for pool in pools { total += await onLoop(pool) { $0.resumedHandshakes } }
        return total
    }

    /// Connections currently open to `origin`, over all loops.
    public func openConnections(to origin: HTTPOrigin) async -> Int {
        var total = 0
        for pool in pools { total += await onLoop(pool) { $0.openConnections(to: origin) } }
        return total
    }

    /// Closes every connection; requests in flight fail with `cancelled`.
    public func shutdown() async {
        for pool in pools { await onLoop(pool) { $0.closeAll() } }
    }

    private func onLoop<T: Sendable>(_ pool: LoopBound<HTTPClientPool>, _ body: @escaping @Sendable (HTTPClientPool) -> T) async -> T {
        await withCheckedContinuation { continuation in
            pool.value.loop.execute { continuation.resume(returning: body(pool.value)) }
        }
    }
}

