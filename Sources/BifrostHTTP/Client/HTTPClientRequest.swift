/// Where a request goes: scheme, host and port. Connections are pooled per origin.
public struct HTTPOrigin: Hashable, Sendable, CustomStringConvertible {
    public let secure: Bool
    public let host: String
    public let port: Int
    /// `host:port`, bracketing IPv6 literals (made once: errors and logs name it).
    public let authority: String

    public init(secure: Bool, host: String, port: Int) {
        self.secure = secure
        self.host = host
        self.port = port
        authority = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    public static func == (left: HTTPOrigin, right: HTTPOrigin) -> Bool {
        left.port == right.port && left.secure == right.secure && left.host == right.host
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(secure)
        hasher.combine(host)
        hasher.combine(port)
    }

    /// The `Host` header value: the host (an IPv6 address in brackets), with the port unless it is
    /// the scheme's default.
    public var hostHeader: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == (secure ? 443 : 80) ? name : "\(name):\(port)"
    }
    public var description: String { "\(secure ? "https" : "http")://\(authority)" }
}

/// An outbound request. The body is sent whole (`Content-Length`).
public struct HTTPClientRequest: Sendable {
    public var method: String
    public var origin: HTTPOrigin
    /// Path and query, starting with `/`.
    public var target: String
    public var headers: HTTPHeaders
    public var body: [UInt8]
    public var timeouts: HTTPClientTimeouts

    /// Parses an absolute `http://` or `https://` URL. Throws for anything else.
    public init(method: String = "GET", url: String, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = [],
                timeouts: HTTPClientTimeouts = HTTPClientTimeouts()) throws {
        let parsed = try ParsedURL(url)
        self.method = method
        self.origin = parsed.origin
        self.target = parsed.target
        self.headers = headers
        self.body = body
        self.timeouts = timeouts
    }

    public init(method: String, origin: HTTPOrigin, target: String, headers: HTTPHeaders = HTTPHeaders(),
                body: [UInt8] = [], timeouts: HTTPClientTimeouts = HTTPClientTimeouts()) {
        self.method = method
        self.origin = origin
        self.target = target
        self.headers = headers
        self.body = body
        self.timeouts = timeouts
    }

    /// True for methods a retry cannot duplicate side effects of.
    var isIdempotent: Bool { ["GET", "HEAD", "OPTIONS", "PUT", "DELETE"].contains(method) }
}

/// Per-request time limits, in seconds. `nil` disables a limit.
public struct HTTPClientTimeouts: Sendable, Equatable {
    /// TCP connect (per attempt over all resolved addresses).
    public var connect: Double? = 10
    /// TLS handshake.
    public var tlsHandshake: Double? = 10
    /// From the start of the request (queueing included) to the response headers.
    public var responseHeaders: Double? = 120
    /// Longest silence between two pieces of the body.
    public var idleBetweenChunks: Double? = 120
    /// The whole exchange, body included.
    public var total: Double?

    public init() {}
}

/// `scheme://host[:port][/path][?query]`, the subset of URLs upstream requests use.
public struct ParsedURL: Sendable, Equatable {
    public let origin: HTTPOrigin
    public let target: String

    public init(_ url: String) throws {
        let secure: Bool
        var rest: Substring
        if url.lowercased().hasPrefix("https://") {
            secure = true
            rest = url.dropFirst(8)
        } else if url.lowercased().hasPrefix("http://") {
            secure = false
            rest = url.dropFirst(7)
        } else {
            throw URLError("unsupported URL (need http:// or https://): \(url)")
        }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        rest = rest[authorityEnd...]
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        var host: String
        var port = secure ? 443 : 80
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw URLError("bad IPv6 address in URL: \(url)") }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") {
                guard let value = Int(after.dropFirst()), (1...65_535).contains(value) else { throw URLError("bad port in URL: \(url)") }
                port = value
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            guard let value = Int(authority[authority.index(after: colon)...]), (1...65_535).contains(value) else {
                throw URLError("bad port in URL: \(url)")
            }
            port = value
        } else {
            host = String(authority)
        }
        guard !host.isEmpty else { throw URLError("URL has no host: \(url)") }
        host = host.lowercased()
        origin = HTTPOrigin(secure: secure, host: host, port: port)
        target = rest.isEmpty ? "/" : (rest.hasPrefix("?") ? "/" + rest : String(rest))
    }
}

/// A URL the client cannot use.
public struct URLError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
