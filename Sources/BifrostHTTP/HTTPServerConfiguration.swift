/// Everything the HTTP server can be tuned with. Every value has a production default.
public struct HTTPServerConfiguration: Sendable, Equatable {
    /// Address to bind: a numeric IPv4/IPv6 address or a host name (`0.0.0.0`, `::`, `127.0.0.1`).
    public var host: String = "0.0.0.0"
    /// Port to bind; 0 picks a free one (see ``HTTPServer/port``).
    public var port: Int = 8080
    /// Listen backlog per event loop.
    public var backlog: Int32 = 1024
    /// Request line + headers size and header count (431 beyond either).
    public var parserLimits = HTTPParserLimits()
    /// Largest request body accepted (413 beyond it).
    public var maxBodyBytes: Int = 32 * 1024 * 1024
    /// Open connections across all loops; further ones get a 503 and are closed.
    public var maxConnections: Int = 10_000
    /// How long a keep-alive connection may sit idle between requests, in seconds.
    public var idleTimeout: Double = 60
    /// Time allowed from a request's first byte (or the connection's accept) to the end of its headers, in seconds.
    public var headerReadTimeout: Double = 10
    /// Time allowed to receive a whole request body once its headers are read, in seconds.
    public var bodyReadTimeout: Double = 60
    /// How long a write may make no progress (a client that stopped reading) before the connection is dropped, in seconds.
    public var writeTimeout: Double = 60
    /// After an error response, how long to keep reading (and discarding) before closing, in seconds,
    /// so that the client receives the response instead of a reset.
    public var lingerTimeout: Double = 2
    /// A streaming writer waits once this many bytes are queued for a client...
    public var writeHighWatermark: Int = 256 * 1024
    /// ...and resumes when the queue falls to this many.
    public var writeLowWatermark: Int = 64 * 1024
    /// Time in-flight requests get to finish on shutdown before their connections are closed, in seconds.
    public var shutdownGracePeriod: Double = 30

    public init() {}
}
