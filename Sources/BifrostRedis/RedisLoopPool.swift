import BifrostIO
import BifrostPluginKit

/// The Redis connections of one event loop (up to `poolSize`), loop-confined.
///
/// A command goes to an idle connection, else to a new one while the pool has room, else to the
/// least busy one (pipelined behind the commands already in flight there). After a failed
/// connect, new connections wait out a short backoff (doubling up to a second) during which a
/// command that finds no open connection fails at once: an unreachable Redis costs callers
/// nothing, and the first command after the backoff reconnects.
final class RedisLoopPool {
    let loop: EventLoop
    let url: RedisURL
    let poolSize: Int
    let timeoutSeconds: Double
    let timeoutNanoseconds: UInt64
    let readBuffer: UnsafeMutableRawBufferPointer

    private var connections: [RedisConnection] = []
    private var closed = false
    private var backoff: UInt64 = RedisLoopPool.initialBackoff
    private var reconnectAt: UInt64 = 0
    private var lastConnectError: RedisError?
    /// Connections ever opened (for tests and stats).
    private(set) var connectionsOpened = 0

    static let initialBackoff: UInt64 = 50_000_000
    static let maxBackoff: UInt64 = 1_000_000_000

    init(loop: EventLoop, url: RedisURL, poolSize: Int, timeout: Double) {
        self.loop = loop
        self.url = url
        self.poolSize = max(1, poolSize)
        timeoutSeconds = timeout
        timeoutNanoseconds = Nanoseconds.seconds(timeout)
        readBuffer = .allocate(byteCount: 64 * 1024, alignment: 16)
    }

    deinit {
        readBuffer.deallocate()
    }

    /// Sends `command` on one of the pool's connections (opening one when needed).
    func submit(_ command: RedisCommand) {
        guard !command.isCompleted else { return }
        guard !closed else {
            command.complete(.failure(RedisError(.closed, "Redis client closed")))
            return
        }
        let now = MonotonicClock.now()
        if now >= command.deadline {
            command.complete(.failure(RedisError(.timeout, "Redis command timed out before it could be sent")))
            return
        }
        var best: RedisConnection?
        for connection in connections where best == nil || connection.load < best!.load {
            best = connection
        }
        if let best, best.load == 0 || connections.count >= poolSize {
            best.send(command)
            return
        }
        if now < reconnectAt {
            if let best {
                best.send(command)
            } else {
                let reason = lastConnectError?.description ?? "connect failed"
                command.complete(.failure(RedisError(.connect, "Redis unavailable (\(reason)); reconnecting shortly")))
            }
            return
        }
        let connection = RedisConnection(pool: self, now: now)
        connections.append(connection)
        connectionsOpened += 1
        connection.open()
        connection.send(command)
    }

    /// Connections currently open or opening.
    var openConnections: Int { connections.count }

    // MARK: Called by connections

    func connectionEstablished() {
        backoff = Self.initialBackoff
        reconnectAt = 0
        lastConnectError = nil
    }

    func connectFailed(_ error: RedisError) {
        lastConnectError = error
        reconnectAt = MonotonicClock.now() &+ backoff
        backoff = min(backoff * 2, Self.maxBackoff)
    }

    func connectionClosed(_ connection: RedisConnection) {
        connections.removeAll { $0 === connection }
    }

    /// Closes every connection; waiting commands fail with `closed`, later ones too.
    func closeAll() {
        closed = true
        for connection in connections { connection.close() }
        connections.removeAll()
    }
}

/// Carries a loop-confined pool into closures that run on its loop.
struct PoolHandle: @unchecked Sendable {
    let pool: RedisLoopPool
}
