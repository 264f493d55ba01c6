import BifrostIO
import BifrostTLS
import Glibc

/// One upstream connection, confined to its event loop: connect (trying each resolved address),
/// optional proxy tunnel, optional TLS, then one request at a time with keep-alive.
final class HTTPClientConnection: IOEventHandler, TimerTarget, FlushTarget {
    private enum Phase {
        case resolving
        case connecting
        case proxyTunnel
        case tlsHandshake
        case idle
        /// Writing the request and waiting for the response head.
        case awaitingHead
        case readingBody(BodyFraming)
        case closed
    }

    private enum BodyFraming {
        case fixed(remaining: Int)
        case chunked(ChunkedBodyDecoder)
        case untilClose
    }

    private enum TimeoutKind { case connect, tlsHandshake, headers, idleBody, total, poolIdle, proxy }

    /// The pool of this connection's origin (and proxy); it lists the connection while idle.
    let entry: OriginPool
    var key: PoolKey { entry.key }
    private unowned let pool: HTTPClientPool
    /// The pool's loop, kept here: reaching it through the unowned `pool` cost a strong-retain check
    /// and a release on every timer change.
    private let loop: EventLoop
    private var phase = Phase.resolving
    private var fd: Int32 = -1
    private var registration: Registration?
    private var channel: SocketChannel?
    private var connector = AddressConnector(addresses: [])

    private(set) var exchange: ClientExchange?
    private var outbound = OutboundQueue()
    private var inbound: [UInt8] = []
    private var headParser = HTTPResponseHeadParser()
    private var responseHead: HTTPClientResponseHead?
    private var stream: BodyStream?
    private var inflater: Inflater?
    private var readPaused = false
    private var writeBlocked = false
    var flushQueued = false
    /// Some byte of the current request was accepted by the kernel (so it may have reached the peer).
    private var requestBytesSent = false
    private var responseBytesReceived = false
    /// Requests completed on this connection.
    private(set) var completedRequests = 0
    /// When the connection last went idle in the pool (the loop's clock, nanoseconds).
    private var idleSince: UInt64 = 0
    private var deadline = DeadlineSlot()
    private var timeoutKind = TimeoutKind.connect

    init(entry: OriginPool, pool: HTTPClientPool) {
        self.entry = entry
        self.pool = pool
        loop = pool.loop
    }

    var isClosed: Bool {
        if case .closed = phase { return true }
        return false
    }

    private var host: String { key.origin.authority }

    // MARK: Connecting

    /// Resolves and connects, then runs `exchange`.
    func open(for exchange: ClientExchange) {
        attach(exchange)
        let target = key.proxy.map { ($0.host, $0.port) } ?? (key.origin.host, key.origin.port)
        setTimeout(.connect, seconds: exchange.request.timeouts.connect)
        let reference = LoopBound(self)
        Resolver.resolve(host: target.0, port: target.1) { [loop] result in
            loop.execute { reference.value.resolved(result) }
        }
    }

    private func resolved(_ result: Result<[SocketAddress], ResolveError>) {
        guard case .resolving = phase else { return }
        switch result {
        case .failure(let error):
            let name = key.proxy.map { "proxy \($0.host)" } ?? key.origin.host
            fail(.dns, "cannot resolve \(name): \(error.message)", reusable: false)
        case .success(let found):
            connector = AddressConnector(addresses: found)
            phase = .connecting
            connectNextAddress()
        }
    }

    private func connectNextAddress() {
        guard let attempt = connector.connectNext(on: loop, handler: self) else {
            let target = key.proxy.map { "proxy \($0.host):\($0.port)" } ?? host
            fail(.connect, "cannot connect to \(target): \(connector.lastError ?? "no addresses")", reusable: false)
            return
        }
        fd = attempt.fd
        channel = .plain(attempt.fd)
        registration = attempt.registration
        if attempt.connected { connectionEstablished() }
    }

    private func connectionEstablished() {
        if let proxy = key.proxy, key.origin.secure {
            phase = .proxyTunnel
            var head = "CONNECT \(key.origin.authority) HTTP/1.1\r\nHost: \(key.origin.authority)\r\n"
            if let authorization = proxy.authorization { head += "Proxy-Authorization: \(authorization)\r\n" }
            head += "\r\n"
            outbound.append(Array(head.utf8))
            flush()
        } else {
            startTLSOrSend()
        }
    }

    private func startTLSOrSend() {
        guard key.origin.secure else {
            phase = .idle
            sendRequest()
            return
        }
        do {
            let session = try TLSConnection(client: pool.tlsContext, fd: fd, serverName: key.origin.host,
                                            session: pool.sessions[key])
            channel = .tls(fd, session)
            phase = .tlsHandshake
            setTimeout(.tlsHandshake, seconds: exchange?.request.timeouts.tlsHandshake)
            continueHandshake()
        } catch {
            fail(.tlsHandshake, "\(error)", reusable: false)
        }
    }

    private func continueHandshake() {
        guard let tls = channel?.tls else { return }
        do {
            switch try tls.handshake() {
            case .wouldBlock: return
            case .done:
                if tls.resumedSession { pool.resumedHandshakes += 1 }
                rememberSession()
                phase = .idle
                sendRequest()
            }
        } catch let error as TLSError {
            fail(error.kind == .verify ? .tlsVerify : .tlsHandshake, error.message, reusable: false)
        } catch {
            fail(.tlsHandshake, "TLS handshake with \(host) failed: \(error)", reusable: false)
        }
    }

    // MARK: Requests

    /// Runs `exchange` on this idle, connected connection.
    func run(_ exchange: ClientExchange) {
        attach(exchange)
        sendRequest()
    }

    private func attach(_ exchange: ClientExchange) {
        self.exchange = exchange
        exchange.cancelHandler = { [unowned self] error in
            abort(with: error)
        }
    }

    private func sendRequest() {
        guard let exchange, case .idle = phase else { return }
        phase = .awaitingHead
        requestBytesSent = false
        responseBytesReceived = false
        headParser.reset()
        responseHead = nil
        outbound.append(encodeRequest(exchange.request))
        setHeadersTimeout()
        loop.deferFlush(self)
    }

    func flushDeferred() {
        if !isClosed { flush() }
    }

    private func encodeRequest(_ request: HTTPClientRequest) -> [UInt8] {
        var head = ByteWriter(capacity: 256 + request.headers.bytes.count + request.body.count)
        head.append(request.method)
        head.append(UInt8(ascii: " "))
        if key.proxy != nil && !key.origin.secure {
            // Absolute form through a plain-HTTP proxy.
            head.append("http://\(key.origin.authority)")
        }
        head.append(request.target)
        head.append(" HTTP/1.1\r\nHost: " as StaticString)
        entry.hostHeader.withUnsafeBufferPointer { head.append($0) }
        head.append("\r\n" as StaticString)
        let owned = request.headers.clientOwnedFields()
        if owned.framing {
            // Host, framing and connection management are the client's: drop a caller's copies.
            var headers = request.headers
            for name in ["host", "content-length", "transfer-encoding", "connection"] { headers.remove(name: name) }
            headers.write(into: &head)
        } else {
            request.headers.write(into: &head)
        }
        if !owned.acceptEncoding { head.append("Accept-Encoding: gzip, deflate\r\n" as StaticString) }
        if key.proxy != nil && !key.origin.secure, let authorization = key.proxy?.authorization {
            head.append("Proxy-Authorization: \(authorization)\r\n")
        }
        if !request.body.isEmpty || request.method == "POST" || request.method == "PUT" || request.method == "PATCH" {
            head.append("Content-Length: " as StaticString)
            head.appendDecimal(request.body.count)
            head.append("\r\n" as StaticString)
        }
        head.append("\r\n" as StaticString)
        request.body.withUnsafeBufferPointer { head.append($0) }
        return head.bytes
    }

    // MARK: Events

    func handleEvents(_ events: IOEvents) {
        switch phase {
        case .connecting:
            guard !events.isDisjoint(with: [.writable, .error, .hangup]) else { return }
            if let error = Socket.pendingError(fd) {
                connector.attemptFailed("\(error)")
                dropSocket()
                connectNextAddress()
            } else {
                connectionEstablished()
            }
            return
        case .tlsHandshake:
            continueHandshake()
            return
        case .closed, .resolving:
            return
        default:
            break
        }
        if !events.isDisjoint(with: [.writable, .error, .hangup]) || (channel?.writeWaitsForReadable ?? false) {
            writeBlocked = false
            flush()
        }
        if !isClosed, !events.isDisjoint(with: [.readable, .readHangup, .error, .hangup]) || (channel?.readWaitsForWritable ?? false) {
            readAvailable()
        }
    }

    func timerFired(deadline queued: UInt64, now: UInt64) {
        guard !isClosed, deadline.fire(queuedDeadline: queued, now: now, target: self, loop: loop) else { return }
        let timeouts = exchange?.request.timeouts
        func seconds(_ value: Double?) -> String { value.map { "\($0)s" } ?? "its limit" }
        switch timeoutKind {
        case .connect: fail(.connect, "connecting to \(host) timed out after \(seconds(timeouts?.connect))", reusable: false)
        case .proxy: fail(.proxy, "proxy tunnel to \(host) timed out", reusable: false)
        case .tlsHandshake: fail(.tlsHandshake, "TLS handshake with \(host) timed out after \(seconds(timeouts?.tlsHandshake))", reusable: false)
        case .headers: fail(.timeoutHeaders, "no response headers from \(host) within \(seconds(timeouts?.responseHeaders))", reusable: false)
        case .idleBody: fail(.timeoutIdle, "response body from \(host) stalled for \(seconds(timeouts?.idleBetweenChunks))", reusable: false)
        case .total: fail(.timeoutTotal, "request to \(host) exceeded its \(seconds(timeouts?.total)) deadline", reusable: false)
        case .poolIdle: close()
        }
    }

    // MARK: Writing

    private func flush() {
        guard !writeBlocked, let channel, !outbound.isEmpty else { return }
        let before = outbound.bufferedBytes
        do {
            let result = try outbound.flush(to: channel)
            if outbound.bufferedBytes < before { requestBytesSent = true }
            if case .wouldBlock = result { writeBlocked = true }
        } catch {
            if outbound.bufferedBytes < before { requestBytesSent = true }
            connectionLost("\(error)")
        }
    }

    // MARK: Reading

    private func readAvailable() {
        guard let channel, !isClosed && !readPaused else { return }
        switch channel.readAll(into: pool.readBuffer, { bytes in
            ingest(bytes)
            return !isClosed && !readPaused
        }) {
        case .drained: break
        case .peerClosed: peerClosed()
        case .failed(let error): connectionLost("\(error)")
        }
    }

    private func ingest(_ bytes: UnsafeRawBufferPointer) {
        switch phase {
        case .proxyTunnel, .awaitingHead:
            responseBytesReceived = true
            inbound.append(contentsOf: bytes)
            processHead()
        case .readingBody:
            if inbound.isEmpty {
                let (consumed, done) = processBody(bytes)
                if consumed < bytes.count, !isClosed { inbound.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[consumed...])) }
                if done { completeExchange() }
            } else {
                inbound.append(contentsOf: bytes)
                processInboundBody()
            }
        case .idle:
            // An idle connection got bytes nobody asked for: it cannot be trusted with a request.
            close()
        default:
            break
        }
    }

    private func processHead() {
        while true {
            let result = inbound.withUnsafeBytes { headParser.parse($0) }
            switch result {
            case .incomplete:
                return
            case .invalid(let message):
                fail(.protocol, "invalid response from \(host): \(message)", reusable: false)
                return
            case .complete(let head, let consumed):
                inbound.removeFirst(consumed)
                headParser.reset()
                if case .proxyTunnel = phase {
                    guard head.status.code == 200 else {
                        fail(.proxy, "proxy refused the tunnel to \(host): \(head.status.code) \(head.status.reason)", reusable: false)
                        return
                    }
                    inbound.removeAll()
                    startTLSOrSend()
                    return
                }
                if (100..<200).contains(head.status.code) && head.status.code != 101 { continue }
                beginBody(head)
                return
            }
        }
    }

    private func beginBody(_ head: HTTPClientResponseHead) {
        guard let exchange else { return }
        let framing: ResponseFraming
        do {
            framing = try head.framing(requestMethod: exchange.request.method)
        } catch {
            fail(.protocol, "\(error.message) (from \(host))", reusable: false)
            return
        }
        var presented = head
        let coding = head.headers.lowercasedElements("content-encoding").last
        if framing != .none, let coding, coding == "gzip" || coding == "x-gzip" || coding == "deflate" {
            do {
                inflater = try Inflater(coding == "deflate" ? .deflate : .gzip)
            } catch {
                fail(.protocol, "cannot decode \(coding) body: \(error.message)", reusable: false)
                return
            }
            var headers = head.headers
            headers.remove(name: "content-encoding")
            headers.remove(name: "content-length")
            presented = HTTPClientResponseHead(status: head.status, minorVersion: head.minorVersion, headers: headers)
        } else {
            inflater = nil
        }
        responseHead = head
        if case .contentLength(let length) = framing, inflater == nil, inbound.count >= length {
            // The whole body came with the head (a small JSON answer): no body stream needed.
            let body = Array(inbound[..<length])
            if inbound.count == length { inbound.removeAll(keepingCapacity: true) } else { inbound.removeFirst(length) }
            exchange.succeed(head: presented, completeBody: body)
            completeExchange()
            return
        }
        stream = exchange.succeed(head: presented)
        switch framing {
        case .none:
            completeExchange()
            return
        case .contentLength(let length): phase = .readingBody(.fixed(remaining: length))
        case .chunked: phase = .readingBody(.chunked(ChunkedBodyDecoder()))
        case .untilClose: phase = .readingBody(.untilClose)
        }
        setTimeout(.idleBody, seconds: exchange.request.timeouts.idleBetweenChunks)
        processInboundBody()
    }

    private func processInboundBody() {
        guard !inbound.isEmpty else { return }
        let (consumed, done) = inbound.withUnsafeBytes { processBody($0) }
        if isClosed { return }
        if consumed >= inbound.count { inbound.removeAll(keepingCapacity: true) } else { inbound.removeFirst(consumed) }
        // Completed only now, so that reuse is judged on what is left after this response.
        if done { completeExchange() }
    }

    /// Decodes body bytes and delivers them. Returns bytes consumed and whether the body ended.
    private func processBody(_ bytes: UnsafeRawBufferPointer) -> (consumed: Int, done: Bool) {
        guard case .readingBody(var framing) = phase else { return (0, false) }
        if let seconds = exchange?.request.timeouts.idleBetweenChunks { setTimeout(.idleBody, seconds: seconds) }
        var payload: [UInt8] = []
        var consumed = 0
        var done = false
        switch framing {
        case .fixed(let remaining):
            consumed = min(remaining, bytes.count)
            payload = Array(UnsafeRawBufferPointer(rebasing: bytes[0..<consumed]))
            framing = .fixed(remaining: remaining - consumed)
            done = remaining == consumed
        case .chunked(var decoder):
            do {
                switch try decoder.decode(bytes, into: &payload, maxBodyBytes: .max) {
                case .needMore: consumed = bytes.count
                case .done(let used):
                    consumed = used
                    done = true
                }
            } catch {
                fail(.protocol, "invalid chunked body from \(host): \(error)", reusable: false)
                return (bytes.count, false)
            }
            framing = .chunked(decoder)
        case .untilClose:
            consumed = bytes.count
            payload = Array(bytes)
        }
        phase = .readingBody(framing)
        if !deliver(payload) { return (bytes.count, false) }
        return (consumed, done)
    }

    /// Hands decoded bytes to the consumer; false when the exchange failed meanwhile.
    private func deliver(_ raw: [UInt8]) -> Bool {
        guard !raw.isEmpty, let stream else { return !isClosed }
        var payload = raw
        if let inflater {
            do {
                payload = try payload.withUnsafeBytes { try inflater.inflate($0) }
            } catch let error as InflateError {
                fail(.protocol, "response body from \(host): \(error.message)", reusable: false)
                return false
            } catch {
                fail(.protocol, "response body from \(host): \(error)", reusable: false)
                return false
            }
        }
        if !payload.isEmpty {
            let hasRoom = stream.push(payload) { [loop] in
                // Built only when the reader falls behind: a weak reference costs this connection a side table.
                let reference = WeakReference(self)
                return { loop.execute { reference.value?.resumeReading() } }
            }
            if !hasRoom { readPaused = true }
        }
        return true
    }

    private func resumeReading() {
        guard readPaused, !isClosed else { return }
        readPaused = false
        processInboundBody()
        if !isClosed { readAvailable() }
    }

    /// Keeps the newest resumable TLS session for the next connection to this origin.
    private func rememberSession() {
        if let session = channel?.tls?.session() { pool.sessions[key] = session }
    }

    private func completeExchange() {
        guard let exchange else { return }
        if completedRequests == 0 { rememberSession() }
        if let inflater, !inflater.isFinished {
            fail(.protocol, "compressed response body from \(host) ended early", reusable: false)
            return
        }
        exchange.finishBody()
        self.exchange = nil
        stream = nil
        inflater = nil
        completedRequests += 1
        let reusable = responseHead?.allowsReuse ?? false
        responseHead = nil
        phase = .idle
        deadline.set(nil, target: self, loop: loop)
        if readPaused {
            // Reading was held back for this body's reader, which has all of it now. Anything the
            // peer sent after the response (or its close) is still unread: then it cannot be reused.
            readPaused = false
            if Socket.hasPendingInputOrClosed(fd) { return close() }
        }
        if reusable && inbound.isEmpty {
            pool.connectionBecameIdle(self)
        } else {
            close()
        }
    }

    // MARK: Idle in the pool

    /// Called by the pool when it parks this connection.
    func parkIdle(seconds: Double) {
        idleSince = loop.now
        setTimeout(.poolIdle, seconds: seconds)
    }

    /// Idle for less than this, a connection is reused without asking the kernel whether the peer
    /// closed it: servers close idle connections after seconds, not within a few milliseconds.
    static let recentIdleness: UInt64 = 100_000_000

    /// True when the idle connection can carry a request: nothing unread, the peer has not closed.
    ///
    /// The loop closes an idle connection as soon as it sees its peer close or send anything, so
    /// this only has to cover what arrived since the loop last polled. For a connection that went
    /// idle moments ago (the common case under load) that cannot be an idle timeout, and the peek
    /// (a system call per request) is skipped; an older one is peeked at (`MSG_PEEK`).
    func isUsableForReuse() -> Bool {
        guard case .idle = phase, fd >= 0 else { return false }
        if loop.now &- idleSince < Self.recentIdleness { return true }
        return !Socket.hasPendingInputOrClosed(fd)
    }

    // MARK: Failure and closing

    /// The peer closed its side.
    private func peerClosed() {
        if case .readingBody(.untilClose) = phase {
            phase = .readingBody(.fixed(remaining: 0))
            completeExchangeAfterClose()
            return
        }
        connectionLost("connection closed by \(host)")
    }

    private func completeExchangeAfterClose() {
        guard let exchange else { close(); return }
        if let inflater, !inflater.isFinished {
            fail(.protocol, "compressed response body from \(host) ended early", reusable: false)
            return
        }
        exchange.finishBody()
        self.exchange = nil
        close()
    }

    /// The connection broke (EOF, reset, write error) in the middle of something.
    private func connectionLost(_ reason: String) {
        guard let exchange else {
            close()
            return
        }
        switch phase {
        case .awaitingHead where !responseBytesReceived:
            // Retry once on a fresh connection when the request provably never reached the peer
            // (nothing was written), or when re-sending cannot duplicate side effects.
            if completedRequests > 0 && !exchange.retried && (!requestBytesSent || exchange.request.isIdempotent) {
                exchange.retried = true
                self.exchange = nil
                exchange.cancelHandler = nil
                close()
                pool.retry(exchange)
                return
            }
            fail(.reset, "\(host) closed the connection before responding (\(reason))", reusable: false)
        case .readingBody:
            fail(.reset, "\(host) closed the connection mid-body (\(reason))", reusable: false)
        default:
            fail(.reset, "connection to \(host) lost: \(reason)", reusable: false)
        }
    }

    private func fail(_ kind: HTTPClientError.Kind, _ message: String, reusable: Bool) {
        let failed = exchange
        exchange = nil
        close()
        failed?.fail(HTTPClientError(kind, host: host, message))
    }

    /// Cancels the current exchange and closes (the connection is never reused half-way).
    func abort(with error: HTTPClientError) {
        let failed = exchange
        exchange = nil
        close()
        failed?.fail(error)
    }

    func close() {
        if isClosed { return }
        let wasIdle: Bool
        if case .idle = phase { wasIdle = true } else { wasIdle = false }
        phase = .closed
        deadline.set(nil, target: self, loop: loop)
        if let registration { loop.deregister(registration) }
        registration = nil
        if fd >= 0 {
            if case .tls(_, let tls) = channel, wasIdle { tls.shutdown() }
            closeDescriptor(fd)
            fd = -1
        }
        channel = nil
        outbound.removeAll()
        inbound = []
        stream = nil
        pool.connectionClosed(self)
    }

    private func dropSocket() {
        if let registration { loop.deregister(registration) }
        registration = nil
        if fd >= 0 { closeDescriptor(fd) }
        fd = -1
        channel = nil
    }

    // MARK: Timers

    private func setHeadersTimeout() {
        guard let exchange else { return }
        applyDeadline(.headers, exchange.headersDeadline)
    }

    private func setTimeout(_ kind: TimeoutKind, seconds: Double?) {
        applyDeadline(kind, seconds.map { loop.now &+ Nanoseconds.seconds($0) })
    }

    /// Arms the earlier of the phase deadline and the exchange's total deadline.
    private func applyDeadline(_ kind: TimeoutKind, _ phaseDeadline: UInt64?) {
        var chosen = (kind, phaseDeadline)
        if let total = exchange?.totalDeadline, kind != .poolIdle, phaseDeadline == nil || total < phaseDeadline! {
            chosen = (.total, total)
        }
        timeoutKind = chosen.0
        deadline.set(chosen.1, target: self, loop: loop)
    }
}

/// A weak reference to a loop-confined object, carried through Sendable closures that run on its loop.
final class WeakReference<Value: AnyObject>: @unchecked Sendable {
    weak var value: Value?
    init(_ value: Value) { self.value = value }
}
