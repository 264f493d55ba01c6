import BifrostPluginKit

/// A parsed `redis://[[user]:password@]host[:port][/db]` URL (`[::1]` for IPv6 hosts).
public struct RedisURL: Sendable, Hashable {
    public var host: String
    public var port: Int
    /// `AUTH user password` when set (Redis 6 ACL users); otherwise `AUTH password`.
    public var user: String?
    public var password: String?
    /// The database to `SELECT` (0 needs no command).
    public var database: Int

    public init(host: String, port: Int = 6379, user: String? = nil, password: String? = nil, database: Int = 0) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
    }

    /// Parses `text`; the message of a ``RedisError`` of kind `.connect` says what is wrong.
    /// User and password may be percent-encoded.
    public init(_ text: String) throws(RedisError) {
        func invalid(_ reason: String) -> RedisError { RedisError(.connect, "invalid Redis URL: \(reason)") }
        guard text.hasPrefix("redis://") else {
            throw invalid(text.hasPrefix("rediss://") ? "TLS (rediss://) is not supported" : "expected redis://host:port")
        }
        var rest = Substring(text.dropFirst("redis://".count))
        if let query = rest.firstIndex(of: "?") { rest = rest[..<query] }
        var path: Substring = ""
        if let slash = rest.firstIndex(of: "/") {
            path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
        }
        var user: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                let name = credentials[..<colon]
                user = name.isEmpty ? nil : try Self.percentDecoded(name)
                password = try Self.percentDecoded(credentials[credentials.index(after: colon)...])
            } else if !credentials.isEmpty {
                // `redis://secret@host`: a lone credential is the password, as most clients read it.
                password = try Self.percentDecoded(credentials)
            }
        }
        var host = rest
        var port = 6379
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { throw invalid("unterminated IPv6 address") }
            let after = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let value = Int(after.dropFirst()) else { throw invalid("bad port") }
                port = value
            }
        } else if let colon = host.lastIndex(of: ":") {
            guard let value = Int(host[host.index(after: colon)...]) else { throw invalid("bad port") }
            port = value
            host = host[..<colon]
        }
        guard !host.isEmpty else { throw invalid("missing host") }
        guard (1...65_535).contains(port) else { throw invalid("port \(port) out of range") }
        var database = 0
        if !path.isEmpty {
            guard let value = Int(path), value >= 0 else { throw invalid("database must be a number, got \"\(path)\"") }
            database = value
        }
        self.init(host: String(host), port: port, user: user, password: password, database: database)
    }

    /// `host:port`, for messages (never the credentials).
    public var endpoint: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    private static func percentDecoded(_ text: Substring) throws(RedisError) -> String {
        guard text.contains("%") else { return String(text) }
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                throw RedisError(.connect, "invalid Redis URL: bad percent-encoding in credentials")
            }
            bytes.append(high << 4 | low)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 48...57: byte - 48
        case 65...70: byte - 55
        case 97...102: byte - 87
        default: nil
        }
    }
}
