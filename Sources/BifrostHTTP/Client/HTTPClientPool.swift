import BifrostIO
import BifrostTLS

/// Connections are shared by requests with the same origin through the same proxy.
struct PoolKey: Hashable {
    let origin: HTTPOrigin
    let proxy: HTTPProxyEndpoint?
}

/// The connection pools of one event loop: per key, idle connections (most recently used first),
/// a count of open ones capped by ``HTTPClientConfiguration/maxConnectionsPerOrigin``, and the
/// requests waiting for one. Loop-confined.
final class HTTPClientPool {
    let loop: EventLoop
    let configuration: HTTPClientConfiguration
    let tlsContext: TLSContext
    /// The proxy (or none) for each origin.
    let proxies: ProxyRoutes
    /// TLS sessions for resumption, per key.
    var sessions: [PoolKey: TLSSession] = [:]
    let readBuffer: UnsafeMutableRawBufferPointer

    private struct Entry {
        var idle: [HTTPClientConnection] = []
        var open = 0
        var waiting: [ClientExchange] = []
    }

    private var entries: [PoolKey: Entry] = [:]
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
        let key = PoolKey(origin: exchange.request.origin, proxy: proxies.endpoint(for: exchange.request.origin))
        // Entries are mutated in place: a copied-out entry would make its arrays copy on write.
        while let connection = entries[key]?.idle.popLast() {
            if connection.isUsableForReuse() {
                connection.run(exchange)
                return
            }
            connection.close()
        }
        let open = entries[key]?.open ?? 0
        if open < configuration.maxConnectionsPerOrigin {
            entries[key, default: Entry()].open += 1
            self.open(key, for: exchange)
            return
        }
        entries[key, default: Entry()].waiting.append(exchange)
        exchange.cancelHandler = { [unowned self] error in
            removeWaiting(exchange, key: key)
            exchange.fail(error)
        }
        scheduleWaitTimeout(exchange, key: key)
    }

    /// Re-sends a request whose reused connection was found closed before it could have arrived.
    func retry(_ exchange: ClientExchange) {
        execute(exchange)
    }

    private func open(_ key: PoolKey, for exchange: ClientExchange) {
        let connection = HTTPClientConnection(key: key, pool: self)
        connections[ObjectIdentifier(connection)] = connection
        connectionsOpened += 1
        connection.open(for: exchange)
    }

    /// A connection finished its exchange and may be reused.
    func connectionBecameIdle(_ connection: HTTPClientConnection) {
        if entries[connection.key]?.waiting.isEmpty == false, let next = entries[connection.key]?.waiting.removeFirst() {
            connection.run(next)
            return
        }
        entries[connection.key, default: Entry()].idle.append(connection)
        connection.parkIdle(seconds: configuration.idleTimeout)
    }

    /// A connection closed: free its slot and start a waiting request on a new connection.
    func connectionClosed(_ connection: HTTPClientConnection) {
        guard connections.removeValue(forKey: ObjectIdentifier(connection)) != nil else { return }
        var entry = entries[connection.key, default: Entry()]
        entry.open -= 1
        entry.idle.removeAll { $0 === connection }
        if !entry.waiting.isEmpty && entry.open < configuration.maxConnectionsPerOrigin {
            let next = entry.waiting.removeFirst()
            entry.open += 1
            entries[connection.key] = entry
            open(connection.key, for: next)
            return
        }
        if entry.open == 0 && entry.waiting.isEmpty {
            entries[connection.key] = nil
        } else {
            entries[connection.key] = entry
        }
    }

    private var hostHeaders: [HTTPOrigin: [UInt8]] = [:]

    /// The `Host` header value for `origin` (the port only when it is not the scheme's default), cached.
    func hostHeaderValue(for origin: HTTPOrigin) -> [UInt8] {
        if let cached = hostHeaders[origin] { return cached }
        let value = Array(origin.hostHeader.utf8)
        if hostHeaders.count < 1024 { hostHeaders[origin] = value }
        return value
    }

    /// Open connections for `origin` on this loop (idle included).
    func openConnections(to origin: HTTPOrigin) -> Int {
        entries.filter { $0.key.origin == origin }.reduce(0) { $0 + $1.value.open }
    }

    /// Closes every connection (idle and busy): used on client shutdown.
    func closeAll() {
        for connection in Array(connections.values) {
            connection.abort(with: HTTPClientError(.cancelled, host: connection.key.origin.authority, "HTTP client shut down"))
        }
        for (_, entry) in entries {
            for exchange in entry.waiting {
                exchange.fail(HTTPClientError(.cancelled, host: exchange.host, "HTTP client shut down"))
            }
        }
        entries = [:]
    }

    private func removeWaiting(_ exchange: ClientExchange, key: PoolKey) {
        entries[key]?.waiting.removeAll { $0 === exchange }
    }

    /// A queued request still obeys its headers and total deadlines.
    private func scheduleWaitTimeout(_ exchange: ClientExchange, key: PoolKey) {
        let candidates = [exchange.headersDeadline.map { ($0, HTTPClientError.Kind.timeoutHeaders) },
                          exchange.totalDeadline.map { ($0, HTTPClientError.Kind.timeoutTotal) }].compactMap { $0 }
        guard let (deadline, kind) = candidates.min(by: { $0.0 < $1.0 }) else { return }
        let delay = deadline > loop.now ? deadline - loop.now : 0
        loop.scheduleTask(after: delay) { [weak self] in
            guard let self, !exchange.isFinished, entries[key]?.waiting.contains(where: { $0 === exchange }) == true else { return }
            removeWaiting(exchange, key: key)
            exchange.fail(HTTPClientError(kind, host: exchange.host,
                "no connection to \(exchange.host) became free in time (\(configuration.maxConnectionsPerOrigin) per loop already busy)"))
        }
    }
}
