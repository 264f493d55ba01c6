import BifrostTLS

/// Settings shared by every request of one ``HTTPClient``.
public struct HTTPClientConfiguration: Sendable {
    /// Open connections per origin on each event loop; further requests wait for one to free up.
    public var maxConnectionsPerOrigin = 64
    /// An unused keep-alive connection is closed after this many seconds.
    public var idleTimeout: Double = 60
    /// TLS for `https://` origins: verification is on unless explicitly disabled.
    public var tls = TLSClientConfiguration()
    /// Outbound proxy.
    public var proxy = HTTPClientProxy.none

    public init() {}
}

/// How to reach origins: directly, through an HTTP proxy (`CONNECT` tunnels for https,
/// absolute-form requests for http), or as the environment says (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`).
public enum HTTPClientProxy: Sendable, Equatable {
    case none
    case http(HTTPProxyEndpoint)
    case environment
}

/// An HTTP proxy with optional basic authentication.
public struct HTTPProxyEndpoint: Sendable, Hashable {
    public var host: String
    public var port: Int
    public var username: String?
    public var password: String?

    public init(host: String, port: Int, username: String? = nil, password: String? = nil) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
    }

    /// Parses `http://[user:pass@]host:port`.
    public init(url: String) throws {
        let parsed = try ParsedURL(url)
        host = parsed.origin.host
        port = parsed.origin.port
        let afterScheme = url.split(separator: "/", maxSplits: 3, omittingEmptySubsequences: false).dropFirst(2).first ?? ""
        if let at = afterScheme.lastIndex(of: "@") {
            let credentials = afterScheme[..<at]
            let parts = credentials.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            username = parts.first.map { String($0).removingPercentEncoding }
            password = parts.count > 1 ? String(parts[1]).removingPercentEncoding : nil
        }
    }

    /// `Proxy-Authorization` value, when credentials are set.
    var authorization: String? {
        guard let username else { return nil }
        return "Basic " + Base64.encode(Array("\(username):\(password ?? "")".utf8))
    }
}

extension HTTPClientProxy {
    /// The proxy to use for `origin`, or nil to connect directly.
    func endpoint(for origin: HTTPOrigin, environment: [String: String]) -> HTTPProxyEndpoint? {
        ProxyRoutes(self, environment: environment).endpoint(for: origin)
    }
}

/// An ``HTTPClientProxy`` with the environment read and parsed once, so that choosing the proxy
/// for a request is a few comparisons.
struct ProxyRoutes {
    private let mode: HTTPClientProxy
    private let noProxy: NoProxyList
    private let httpsProxy: HTTPProxyEndpoint?
    private let httpProxy: HTTPProxyEndpoint?

    init(_ mode: HTTPClientProxy, environment: [String: String]) {
        self.mode = mode
        noProxy = NoProxyList(environment["NO_PROXY"] ?? environment["no_proxy"] ?? "")
        func proxy(_ names: [String]) -> HTTPProxyEndpoint? {
            guard let url = names.lazy.compactMap({ environment[$0] }).first(where: { !$0.isEmpty }) else { return nil }
            return try? HTTPProxyEndpoint(url: url.contains("://") ? url : "http://" + url)
        }
        httpsProxy = proxy(["HTTPS_PROXY", "https_proxy"])
        httpProxy = proxy(["HTTP_PROXY", "http_proxy"])
    }

    /// The proxy to use for `origin`, or nil to connect directly.
    func endpoint(for origin: HTTPOrigin) -> HTTPProxyEndpoint? {
        switch mode {
        case .none: return nil
        case .http(let endpoint): return endpoint
        case .environment:
            guard let proxy = origin.secure ? httpsProxy : httpProxy, !noProxy.matches(origin) else { return nil }
            return proxy
        }
    }
}

/// `NO_PROXY`: comma-separated host names, domain suffixes (`.example.com` or `example.com`),
/// IP addresses, optional `:port`, or `*` for everything.
struct NoProxyList {
    private let entries: [(host: String, port: Int?)]

    init(_ value: String) {
        entries = value.split(separator: ",").compactMap { raw in
            var entry = raw.trimmingCharacters(in: " \t").lowercased()
            guard !entry.isEmpty else { return nil }
            var port: Int?
            if let colon = entry.lastIndex(of: ":"), !entry.hasSuffix("]"), entry.filter({ $0 == ":" }).count == 1,
               let value = Int(entry[entry.index(after: colon)...]) {
                port = value
                entry = String(entry[..<colon])
            }
            if entry.hasPrefix("*.") { entry.removeFirst() }
            return (entry, port)
        }
    }

    func matches(_ origin: HTTPOrigin) -> Bool {
        let host = origin.host.lowercased()
        for entry in entries {
            if entry.host == "*" { return true }
            if let port = entry.port, port != origin.port { continue }
            let domain = entry.host.hasPrefix(".") ? String(entry.host.dropFirst()) : entry.host
            if host == domain || host.hasSuffix("." + domain) { return true }
        }
        return false
    }
}

extension String {
    /// Decodes `%XX` escapes (for proxy credentials in URLs).
    var removingPercentEncoding: String {
        var bytes: [UInt8] = []
        var iterator = Array(utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%"), let high = iterator.next(), let low = iterator.next(),
               let h = ASCII.hexValue(high), let l = ASCII.hexValue(low) {
                bytes.append(h << 4 | l)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Standard base64 (for basic authentication).
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let b0 = bytes[index]
            let b1 = index + 1 < bytes.count ? bytes[index + 1] : 0
            let b2 = index + 2 < bytes.count ? bytes[index + 2] : 0
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            out.append(index + 1 < bytes.count ? alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)] : UInt8(ascii: "="))
            out.append(index + 2 < bytes.count ? alphabet[Int(b2 & 0x3F)] : UInt8(ascii: "="))
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
