import BifrostIO
import BifrostPluginKit
import Glibc

/// One connection to Redis, confined to its event loop: non-blocking connect (each resolved
/// address in turn), `AUTH`/`SELECT` pipelined ahead of the first command, then any number of
/// commands in flight whose replies are matched in order.
///
/// Any failure (connect refused or timed out, the peer closing, a reply timing out, a protocol
/// violation) closes the connection and fails every command still waiting on it: a pipeline cannot
/// be resynchronised, and the pool opens a fresh connection for the next command.
final class RedisConnection: IOEventHandler, TimerTarget, FlushTarget {
    private enum Phase { case resolving, connecting, ready, closed }

    private unowned let pool: RedisLoopPool
    private var loop: EventLoop { pool.loop }
    private var phase = Phase.resolving
    private var fd: Int32 = -1
    private var registration: Registration?
    private var connector = AddressConnector(addresses: [])
    /// `AUTH`/`SELECT` replies still expected; the connection counts as established after them.
    private var handshakeRemaining = 0
    private let connectDeadline: UInt64

    private var pending = CommandQueue()
    private var outbound: [UInt8] = []
    private var outboundOffset = 0
    private var writeBlocked = false
    var flushQueued = false
    private var parser = RESPParser()
    private var timer = DeadlineSlot()

    /// Commands waiting for a reply on this connection (for choosing the least busy one).
    var load: Int { pending.count }
    var isClosed: Bool { phase == .closed }
    var isReady: Bool { phase == .ready }

    init(pool: RedisLoopPool, now: UInt64) {
        self.pool = pool
        connectDeadline = now &+ pool.timeoutNanoseconds
    }

    // MARK: Opening

    /// Resolves and connects; the handshake commands are queued ahead of anything else.
    func open() {
        let url = pool.url
        if let password = url.password {
            let auth = url.user.map { ["AUTH", $0, password] } ?? ["AUTH", password]
            enqueueHandshake(auth, what: "AUTH")
        }
        if url.database != 0 { enqueueHandshake(["SELECT", String(url.database)], what: "SELECT \(url.database)") }
        armTimer()
        let reference = WeakConnection(self)
        Resolver.resolve(host: url.host, port: url.port) { [loop] result in
            loop.execute { reference.value?.resolved(result) }
        }
    }

    private func enqueueHandshake(_ command: [String], what: String) {
        let endpoint = pool.url.endpoint
        handshakeRemaining += 1
        let reference = WeakConnection(self)
        // Completed on the loop only: a handshake has no caller to cancel it and no watchdog.
        let handshake = RedisCommand(bytes: RESPEncoder.encode(command), deadline: connectDeadline) { result in
            guard case .success(let reply) = result, let connection = reference.value else { return }
            connection.handshakeReplied(reply, what: what, endpoint: endpoint)
        }
        pending.append(handshake)
        outbound.append(contentsOf: handshake.bytes)
    }

    private func handshakeReplied(_ reply: RESPValue, what: String, endpoint: String) {
        if case .error(let message) = reply {
            fail(RedisError(.connect, "\(what) on Redis at \(endpoint) failed: \(message)"))
            return
        }
        handshakeRemaining -= 1
        if handshakeRemaining == 0 { pool.connectionEstablished() }
    }

    private func resolved(_ result: Result<[SocketAddress], ResolveError>) {
        guard phase == .resolving else { return }
        switch result {
        case .failure(let error):
            fail(RedisError(.connect, "cannot resolve Redis host \(pool.url.host): \(error.message)"))
        case .success(let found):
            connector = AddressConnector(addresses: found)
            phase = .connecting
            connectNextAddress()
        }
    }

    private func connectNextAddress() {
        guard let attempt = connector.connectNext(on: loop, handler: self) else {
            fail(RedisError(.connect, "cannot connect to Redis at \(pool.url.endpoint): \(connector.lastError ?? "no addresses")"))
            return
        }
        fd = attempt.fd
        registration = attempt.registration
        if attempt.connected { established() }
    }

    private func established() {
        phase = .ready
        if handshakeRemaining == 0 { pool.connectionEstablished() }
        armTimer()
        flush()
    }

    // MARK: Commands

    /// Queues `command`; its bytes go out with the others queued in this loop iteration (one write).
    func send(_ command: RedisCommand) {
        pending.append(command)
        outbound.append(contentsOf: command.bytes)
        if pending.count == 1 { armTimer() }
        guard phase == .ready, !writeBlocked else { return }
        loop.deferFlush(self)
    }

    func flushDeferred() {
        flush()
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
                return
            }
            established()
            if !events.isDisjoint(with: [.readable, .readHangup]) { readAvailable() }
        case .ready:
            if !events.isDisjoint(with: [.writable, .error, .hangup]) {
                writeBlocked = false
                flush()
            }
            if phase == .ready, !events.isDisjoint(with: [.readable, .readHangup, .error, .hangup]) { readAvailable() }
        case .resolving, .closed:
            return
        }
    }

    func timerFired(deadline queued: UInt64, now: UInt64) {
        guard phase != .closed, timer.fire(queuedDeadline: queued, now: now, target: self, loop: loop) else { return }
        let seconds = pool.timeoutSeconds
        if phase == .ready {
            fail(RedisError(.timeout, "Redis at \(pool.url.endpoint) did not reply within \(seconds)s"))
        } else {
            fail(RedisError(.connect, "connecting to Redis at \(pool.url.endpoint) timed out after \(seconds)s"))
        }
    }

    // MARK: Writing and reading

    private func flush() {
        guard phase == .ready, !writeBlocked, outboundOffset < outbound.count else { return }
        let result: IOResult<Int>
        do {
            result = try outbound.withUnsafeBytes { raw in
                var vector = iovec(iov_base: UnsafeMutableRawPointer(mutating: raw.baseAddress! + outboundOffset),
                                   iov_len: raw.count - outboundOffset)
                return try Socket.writev(fd, &vector, count: 1)
            }
        } catch {
            fail(RedisError(.closed, "connection to Redis at \(pool.url.endpoint) lost: \(error)"))
            return
        }
        switch result {
        case .wouldBlock:
            writeBlocked = true
        case .done(let written):
            outboundOffset += written
            if outboundOffset == outbound.count {
                outbound.removeAll(keepingCapacity: outbound.capacity <= 64 * 1024)
                outboundOffset = 0
            } else {
                // A partial write means the socket buffer is full: epoll reports writable again later.
                writeBlocked = true
            }
        }
    }

    private func readAvailable() {
        let scratch = pool.readBuffer
        while phase == .ready {
            let count: Int
            do {
                switch try Socket.read(fd, into: scratch) {
                case .wouldBlock: return
                case .done(let n): count = n
                }
            } catch {
                fail(RedisError(.closed, "connection to Redis at \(pool.url.endpoint) lost: \(error)"))
                return
            }
            if count == 0 {
                fail(RedisError(.closed, "Redis at \(pool.url.endpoint) closed the connection"))
                return
            }
            parser.feed(UnsafeRawBufferPointer(rebasing: scratch[0..<count]))
            deliverReplies()
            // A short read drained the socket; edge-triggered epoll reports the next arrival.
            if count < scratch.count { return }
        }
    }

    private func deliverReplies() {
        while phase != .closed {
            let outcome: RESPParser.Outcome
            do {
                outcome = try parser.next()
            } catch {
                fail(error)
                return
            }
            guard case .value(let value) = outcome else { return }
            guard let command = pending.popFirst() else {
                fail(RedisError(.protocolViolation, "Redis at \(pool.url.endpoint) sent a reply nobody asked for"))
                return
            }
            command.complete(.success(value))
            armTimer()
        }
    }

    // MARK: Timers, failure, closing

    /// The earliest deadline that matters: the connect deadline until connected, then the oldest command's.
    private func armTimer() {
        var next = pending.first?.deadline
        if phase != .ready, phase != .closed { next = min(next ?? connectDeadline, connectDeadline) }
        timer.set(next, target: self, loop: loop)
    }

    /// Closes and fails every waiting command with `error`.
    func fail(_ error: RedisError) {
        guard phase != .closed else { return }
        let waiting = pending.removeAll()
        close()
        if error.kind == .connect { pool.connectFailed(error) }
        for command in waiting { command.complete(.failure(error)) }
    }

    /// Closes the socket; waiting commands fail with `closed` (use ``fail(_:)`` for another reason).
    func close() {
        guard phase != .closed else { return }
        phase = .closed
        timer.set(nil, target: self, loop: loop)
        dropSocket()
        outbound = []
        outboundOffset = 0
        pool.connectionClosed(self)
        let error = RedisError(.closed, "Redis client closed")
        for command in pending.removeAll() { command.complete(.failure(error)) }
    }

    private func dropSocket() {
        if let registration { loop.deregister(registration) }
        registration = nil
        if fd >= 0 { closeDescriptor(fd) }
        fd = -1
    }
}

/// A weak reference to a loop-confined connection, carried through closures that run on its loop.
final class WeakConnection: @unchecked Sendable {
    weak var value: RedisConnection?
    init(_ value: RedisConnection) { self.value = value }
}
