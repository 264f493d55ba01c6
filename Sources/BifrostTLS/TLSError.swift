import COpenSSL

/// A TLS failure, split into what the caller can act on.
public struct TLSError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// Setting up a context failed: unreadable certificate or key, key not matching the certificate.
        case configuration
        /// The peer's certificate was rejected: unknown CA, expired, wrong host name.
        case verify
        /// The handshake failed for another reason (protocol mismatch, not TLS at all, reset).
        case handshake
        /// A failure after the handshake (bad record, unexpected alert).
        case protocolError
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    /// Drains OpenSSL's error queue for this thread into one line.
    static func drainErrorQueue() -> String {
        var reasons: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            reasons.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return reasons.joined(separator: "; ")
    }
}
