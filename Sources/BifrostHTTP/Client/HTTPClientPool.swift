import BifrostIO
import BifrostTLS

/// Connections are shared by requests with the same origin through the same proxy.
struct PoolKey: Hashable {
    let origin: HTTPOrigin
    let proxy: HTTPProxyEndpoint?
}

/// The connection pools of one event loop: per key an ``OriginPool`` (idle connections, a count of
/// open ones capped by ``HTTPClientConfiguration/maxConnectionsPerOrigin``, and the requests
/// waiting for one). Loop-confined.
final class HTTPClientPool {
    let loop: EventLoop
    let configuration: HTTPClientConfiguration
    let tlsContext: TLSContext
    /// The proxy (or none) for each origin.
    let proxies: ProxyRoutes
    /// TLS sessions for resumption, per key.
    var sessions: [PoolKey: TLSSession] = [:]
    let readBuffer: UnsafeMutableRawBufferPointer

    private var entries: [PoolKey: OriginPool] = [:]
    /// The pool asked for last: traffic mostly goes to one origin, and comparing its key is cheaper
    /// than hashing the key asked for.
    private var lastEntry: OriginPool?
    private var connections: [ObjectIdentifier: HTTPClientConnection] = [:]
    /// Connections ever opened (for tests and stats).
    private(set) var connectionsOpened = 0
    /// TLS handshakes that resumed an earlier session.
    var resumedHandshakes = 0

    init(loop: EventLoop, configuration: HTTPClientConfiguration, tlsContext: TLSContext, environment: [String: String]) {
        self.loop = loop
        self.configuration = configuration
        self.tlsContext = tlsContext
        proxies = ProxyRoutes(configuration.proxy, environment: environment)
        readBuffer = .allocate(byteCount: 64 * 1024, alignment: 16)
    }

    deinit {
        readBuffer.deallocate()
    }

    /// Starts `exchange`: on an idle connection, a new one, or after waiting for one.
    func execute(_ exchange: ClientExchange) {
        let entry = self.entry(for: PoolKey(origin: exchange.request.origin, proxy: proxies.endpoint(for: exchange.request.origin)))
        while let connection = entry.idle.popLast() {
            if connection.isUsableForReuse() {
                connection.run(exchange)
                return
            }
            connection.close()
        }
        if entry.open < configuration.maxConnectionsPerOrigin {
            entry.open += 1
            open(entry, for: exchange)
            return
        }
        entry.waiting.append(exchange)
        exchange.cancelHandler = { [unowned self] error in
            removeWaiting(exchange, from: entry)
            exchange.fail(error)
        }
        scheduleWaitTimeout(exchange, in: entry)
    }

    /// The pool of `key`, created on first use.
    private func entry(for key: PoolKey) -> OriginPool {
        if let lastEntry, lastEntry.key == key { return lastEntry }
        let found: OriginPool
        if let existing = entries[key] {
            found = existing
        } else {
            found = OriginPool(key: key)
            entries[key] = found
        }
        lastEntry = found
        return found
    }

    /// Re-sends a request whose reused connection was found closed before it could have arrived.
    func retry(_ exchange: ClientExchange) {
        execute(exchange)
    }

    private func open(_ entry: OriginPool, for exchange: ClientExchange) {
        let connection = HTTPClientConnection(entry: entry, pool: self)
        connections[ObjectIdentifier(connection)] = connection
        connectionsOpened += 1
        connection.open(for: exchange)
    }

    /// A connection finished its exchange and may be reused.
    func connectionBecameIdle(_ connection: HTTPClientConnection) {
        let entry = connection.entry
        if !entry.waiting.isEmpty {
            connection.run(entry.waiting.removeFirst())
            return
        }
        entry.idle.append(connection)
        connection.parkIdle(seconds: configuration.idleTimeout)
    }

    /// A connection closed: free its slot and start a waiting request on a new connection.
    func connectionClosed(_ connection: HTTPClientConnection) {
        guard connections.removeValue(forKey: ObjectIdentifier(connection)) != nil else { return }
        let entry = connection.entry
        entry.open -= 1
        entry.idle.removeAll { $0 === connection }
        if !entry.waiting.isEmpty && entry.open < configuration.maxConnectionsPerOrigin {
            entry.open += 1
            open(entry, for: entry.waiting.removeFirst())
            return
        }
        if entry.open == 0 && entry.waiting.isEmpty && entries[entry.key] === entry {
            entries[entry.key] = nil
            if lastEntry === entry { lastEntry = nil }
        }
    }

    /// Open connections for `origin` on this loop (idle included).
    func openConnections(to origin: HTTPOrigin) -> Int {
        entries.values.filter { $0.key.origin == origin }.reduce(0) { $0 + $1.open }
    }

    /// Closes every connection (idle and busy): used on client shutdown.
    func closeAll() {
        for connection in Array(connections.values) {
            connection.abort(with: HTTPClientError(.cancelled, host: connection.key.origin.authority, "HTTP client shut down"))
        }
        for entry in entries.values {
            for exchange in entry.waiting {
                exchange.fail(HTTPClientError(.cancelled, host: exchange.host, "HTTP client shut down"))
            }
        }
        entries = [:]
        lastEntry = nil
    }

    private func removeWaiting(_ exchange: ClientExchange, from entry: OriginPool) {
        entry.waiting.removeAll { $0 === exchange }
    }

    /// A queued request still obeys its headers and total deadlines.
    private func scheduleWaitTimeout(_ exchange: ClientExchange, in entry: OriginPool) {
        let candidates = [exchange.headersDeadline.map { ($0, HTTPClientError.Kind.timeoutHeaders) },
                          exchange.totalDeadline.map { ($0, HTTPClientError.Kind.timeoutTotal) }].compactMap { $0 }
        guard let (deadline, kind) = candidates.min(by: { $0.0 < $1.0 }) else { return }
        let delay = deadline > loop.now ? deadline - loop.now : 0
        loop.scheduleTask(after: delay) { [weak self] in
            guard let self, !exchange.isFinished, entry.waiting.contains(where: { $0 === exchange }) else { return }
            removeWaiting(exchange, from: entry)
            exchange.fail(HTTPClientError(kind, host: exchange.host,
                "no connection to \(exchange.host) became free in time (\(configuration.maxConnectionsPerOrigin) per loop already busy)"))
        }
    }
}

/// The connections of one pool key on one loop: idle ones (the most recently used last), a count
/// of open ones, and the requests waiting for one. A class, so that the pool and its connections
/// update it in place without looking the key up again. Loop-confined.
final class OriginPool {
    let key: PoolKey
    var idle: [HTTPClientConnection] = []
    var open = 0
    var waiting: [ClientExchange] = []
    /// The `Host` header value: the port only when it is not the scheme's default.
    let hostHeader: [UInt8]

    init(key: PoolKey) {
        self.key = key
        hostHeader = Array(key.origin.hostHeader.utf8)
    }
}
