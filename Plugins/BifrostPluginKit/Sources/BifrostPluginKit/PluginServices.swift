import Synchronization

/// What the gateway lends to plugins beyond the hooks: today a Redis client on the gateway's own
/// event loops (so plugins need no networking code and share one implementation). The gateway
/// installs the services before it loads any plugin; a plugin asks for them in its `Init`.
public enum PluginServices {
    private static let redisFactory = Mutex<(@Sendable (RedisConfiguration) throws -> any RedisClient)?>(nil)

    /// A Redis client for `configuration` (connections open lazily, so this does not block).
    /// Throws when the gateway provides no Redis support (e.g. a test without it installed).
    public static func redis(_ configuration: RedisConfiguration) throws -> any RedisClient {
        guard let factory = redisFactory.withLock({ $0 }) else {
            throw PluginConfigurationError("this gateway provides no Redis client")
        }
        return try factory(configuration)
    }

    /// Installs the Redis client factory (the gateway calls this at start-up).
    public static func installRedis(_ factory: @escaping @Sendable (RedisConfiguration) throws -> any RedisClient) {
        redisFactory.withLock { $0 = factory }
    }
}

/// Where and how to reach Redis: `redis://[user:password@]host:port[/db]`, plus limits.
public struct RedisConfiguration: Sendable, Hashable {
    public var url: String
    /// Connections kept per event loop.
    public var poolSize: Int
    /// Connect and per-command time limit, in seconds.
    public var timeout: Double

    public init(url: String, poolSize: Int = 4, timeout: Double = 1) {
        self.url = url
        self.poolSize = poolSize
        self.timeout = timeout
    }
}

/// A RESP value (Redis' wire protocol, RESP2).
@frozen public enum RESPValue: Sendable, Hashable {
    case simple(String)
    case error(String)
    case integer(Int)
    case bulk([UInt8]?)
    case array([RESPValue]?)

    /// The value as text (simple strings and bulk strings).
    public var string: String? {
        switch self {
        case .simple(let text): text
        case .bulk(let bytes?): String(decoding: bytes, as: UTF8.self)
        default: nil
        }
    }

    /// The value as an integer (integers, and strings holding one).
    public var int: Int? {
        switch self {
        case .integer(let value): value
        default: string.flatMap { Int($0) }
        }
    }
}

/// A Redis client: commands are pipelined over pooled connections on the gateway's event loops.
/// Every call either answers or throws within the configured timeout (never hangs).
public protocol RedisClient: Sendable {
    /// Sends one command (`["SET", "k", "v"]`) and returns the reply; a Redis error reply throws.
    func send(_ command: [String]) async throws -> RESPValue
    /// Binary-safe variant (values as bytes).
    func send(bytes command: [[UInt8]]) async throws -> RESPValue
    /// Runs a Lua script by SHA1 (`EVALSHA`), loading it first (`SCRIPT LOAD`) when Redis does not know it.
    func eval(script: String, keys: [String], arguments: [String]) async throws -> RESPValue
    /// Closes the connections (plugins call this from `cleanup()`).
    func close() async
}

/// A failure talking to Redis: unreachable, timed out, or an error reply.
public struct RedisError: Error, CustomStringConvertible, Sendable {
    @frozen public enum Kind: Sendable { case connect, timeout, reply, protocolViolation, closed }
    public let kind: Kind
    public let description: String

    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}
