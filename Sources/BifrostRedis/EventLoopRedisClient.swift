import BifrostIO
import BifrostTLS
import BifrostPluginKit
import Dispatch
import Synchronization

/// The gateway's ``RedisClient``: RESP2 over pooled, pipelined connections on the gateway's own
/// event loops (``RedisConfiguration/poolSize`` connections per loop, opened lazily).
///
/// A call made on one of the group's loops (a request's task runs on its connection's loop) uses
/// that loop's pool with no thread hop; a call from elsewhere goes to the next loop round-robin.
/// Every call answers or throws a ``RedisError`` within ``RedisConfiguration/timeout`` seconds,
/// connecting included; it never hangs (as long as the event loops run: close the client before
/// shutting the group down).
///
/// ```swift
/// let redis = try EventLoopRedisClient(configuration: RedisConfiguration(url: "redis://127.0.0.1:6379/2"), group: group)
/// _ = try await redis.send(["SET", "greeting", "hello"])
/// let value = try await redis.send(["GET", "greeting"]).string
/// await redis.close()
/// ```
public final class EventLoopRedisClient: RedisClient {
    public let configuration: RedisConfiguration
    /// The parsed ``RedisConfiguration/url``.
    public let url: RedisURL
    private let group: EventLoopGroup
    private let pools: [PoolHandle]
    private let closed = Atomic<Bool>(false)
    private let timeout: UInt64
    private let scriptHashes = Mutex<[String: String]>([:])

    /// Creates a client; connections open on first use. Throws a ``RedisError`` for a bad URL.
    public init(configuration: RedisConfiguration, group: EventLoopGroup) throws(RedisError) {
        guard configuration.timeout > 0 else { throw RedisError(.connect, "Redis timeout must be positive") }
        self.configuration = configuration
        let parsed = try RedisURL(configuration.url)
        url = parsed
        self.group = group
        timeout = Nanoseconds.seconds(configuration.timeout)
        pools = group.loops.map {
            PoolHandle(pool: RedisLoopPool(loop: $0, url: parsed, poolSize: configuration.poolSize, timeout: configuration.timeout))
        }
    }

    /// A factory for ``PluginServices/installRedis(_:)``: each plugin's clients run on `group`.
    public static func factory(group: EventLoopGroup) -> @Sendable (RedisConfiguration) throws -> any RedisClient {
        { configuration in try EventLoopRedisClient(configuration: configuration, group: group) }
    }

    // MARK: RedisClient

    public func send(_ command: [String]) async throws -> RESPValue {
        try await send(bytes: command.map { Array($0.utf8) })
    }

    public func send(bytes command: [[UInt8]]) async throws -> RESPValue {
        try await send(bytes: command, deadline: MonotonicClock.now() &+ timeout)
    }

    /// `EVALSHA` with the script's SHA-1; on `NOSCRIPT`, `SCRIPT LOAD` and `EVALSHA` again. The
    /// whole exchange shares one timeout.
    public func eval(script: String, keys: [String], arguments: [String]) async throws -> RESPValue {
        let deadline = MonotonicClock.now() &+ timeout
        let sha = scriptHash(script)
        let command = (["EVALSHA", sha, String(keys.count)] + keys + arguments).map { Array($0.utf8) }
        do {
            return try await send(bytes: command, deadline: deadline)
        } catch let error as RedisError where error.kind == .reply && error.description.hasPrefix("NOSCRIPT") {
            _ = try await send(bytes: [Array("SCRIPT".utf8), Array("LOAD".utf8), Array(script.utf8)], deadline: deadline)
            return try await send(bytes: command, deadline: deadline)
        }
    }

    /// Closes every connection; commands in flight and later calls fail with a `closed` error.
    public func close() async {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        for handle in pools {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                handle.pool.loop.execute {
                    handle.pool.closeAll()
                    continuation.resume()
                }
            }
        }
    }

    // MARK: Stats

    /// Connections opened so far over all loops (reconnects included).
    public func connectionsOpened() async -> Int {
        var total = 0
        for handle in pools {
            total += await withCheckedContinuation { continuation in
                handle.pool.loop.execute { continuation.resume(returning: handle.pool.connectionsOpened) }
            }
        }
        return total
    }

    // MARK: Internals

    private func scriptHash(_ script: String) -> String {
        if let known = scriptHashes.withLock({ $0[script] }) { return known }
        let sha = Digest.hex(Digest.sha1(Array(script.utf8)))  // the name Redis gives the script
        scriptHashes.withLock { $0[script] = sha }
        return sha
    }

    /// A call made off the loops is also timed out by Dispatch, shortly after the loop would have
    /// done it: should the loops be gone (the group shut down before the client was closed), the
    /// caller still gets an answer instead of waiting forever.
    private static func watch(_ command: RedisCommand) {
        let now = MonotonicClock.now()
        let delay = command.deadline > now ? command.deadline - now : 0
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(min(delay, UInt64(Int.max / 2)))) + .milliseconds(200)) {
            command.complete(.failure(RedisError(.timeout, "Redis command timed out (event loop unavailable)")))
        }
    }

    private func send(bytes command: [[UInt8]], deadline: UInt64) async throws -> RESPValue {
        guard !closed.load(ordering: .relaxed) else { throw RedisError(.closed, "Redis client closed") }
        guard !command.isEmpty else { throw RedisError(.protocolViolation, "empty command") }
        var encoded: [UInt8] = []
        encoded.reserveCapacity(16 + command.reduce(0) { $0 + $1.count + 16 })
        RESPEncoder.encode(command, into: &encoded)
        let loop = group.loops.first { $0.inEventLoop } ?? group.next()
        let handle = pools[loop.index]
        let box = CommandBox()
        let reply: RESPValue = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<RESPValue, any Error>) in
                let command = RedisCommand(bytes: encoded, deadline: deadline) { continuation.resume(with: $0) }
                box.command = command
                if loop.inEventLoop {
                    handle.pool.submit(command)
                } else {
                    loop.execute { handle.pool.submit(command) }
                    Self.watch(command)
                }
            }
        } onCancel: {
            loop.execute { box.command?.complete(.failure(CancellationError())) }
        }
        if case .error(let message) = reply { throw RedisError(.reply, message) }
        return reply
    }
}

/// Lets the cancellation handler reach the command created inside the continuation.
private final class CommandBox: @unchecked Sendable {
    private let lock = Mutex<RedisCommand?>(nil)
    var command: RedisCommand? {
        get { lock.withLock { $0 } }
        set { lock.withLock { $0 = newValue } }
    }
}
