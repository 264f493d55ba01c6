/// Why an upstream request failed. Messages name the host, never credentials.
public struct HTTPClientError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The host name did not resolve.
        case dns
        /// No TCP connection could be made (refused, unreachable, connect timed out, pool wait timed out).
        case connect
        /// The TLS handshake failed or timed out.
        case tlsHandshake = "tls_handshake"
        /// The server's certificate was rejected (unknown CA, expired, wrong host name).
        case tlsVerify = "tls_verify"
        /// No response headers within the headers timeout.
        case timeoutHeaders = "timeout_headers"
        /// The body stalled longer than the idle timeout between chunks.
        case timeoutIdle = "timeout_idle"
        /// The whole request exceeded its deadline.
        case timeoutTotal = "timeout_total"
        /// The connection was reset or closed before the response was complete.
        case reset
        /// The server broke HTTP (bad status line, bad framing, corrupt compression).
        case `protocol`
        /// The proxy refused or failed the tunnel.
        case proxy
        /// The caller cancelled (client went away, task cancelled).
        case cancelled
    }

    public let kind: Kind
    /// `host:port` of the upstream.
    public let host: String
    public let message: String

    public init(_ kind: Kind, host: String, _ message: String) {
        self.kind = kind
        self.host = host
        self.message = message
    }

    public var description: String { "\(kind.rawValue) (\(host)): \(message)" }
}
