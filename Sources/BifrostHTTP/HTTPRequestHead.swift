/// How the request body is delimited (RFC 9112 §6).
public enum HTTPBodyFraming: Sendable, Equatable {
    case none
    case contentLength(Int)
    case chunked
}

/// A parsed request line and header section.
///
/// Immutable, and a class: the head travels from the parser through the connection's phases to the
/// handler, the response and the metrics, and passing a reference costs one retain where copying the
/// strings and header storage it holds cost one each.
public final class HTTPRequestHead: Sendable {
    /// The method token as sent, e.g. `"GET"` (methods are case-sensitive).
    public let method: String
    /// The request target as sent, e.g. `"/v1/chat/completions?x=1"`.
    public let target: String
    /// The minor version: 0 for HTTP/1.0, 1 for HTTP/1.1.
    public let minorVersion: Int
    /// Header fields in arrival order.
    public let headers: HTTPHeaders
    /// How the body is delimited.
    public let framing: HTTPBodyFraming
    /// Whether the client asked to keep the connection open after this exchange.
    public let keepAlive: Bool
    /// The client sent `Expect: 100-continue`.
    public let expectsContinue: Bool

    init(method: String, target: String, minorVersion: Int, headers: HTTPHeaders, framing: HTTPBodyFraming,
         keepAlive: Bool, expectsContinue: Bool) {
        self.method = method
        self.target = target
        self.minorVersion = minorVersion
        self.headers = headers
        self.framing = framing
        self.keepAlive = keepAlive
        self.expectsContinue = expectsContinue
    }

    /// The target without its query string.
    public var path: Substring { Self.path(of: target) }

    /// `target` up to its query (`?`), searched in the string's bytes: stepping through its UTF-8
    /// view costs far more. Shared with ``HTTPExchangeRecord/path``.
    static func path(of target: String) -> Substring {
        var bytes = target
        guard let end = bytes.withUTF8({ $0.firstIndex(of: UInt8(ascii: "?")) }) else { return target[...] }
        return target[..<target.utf8.index(target.startIndex, offsetBy: end)]
    }

    /// True for `HEAD`, whose response carries headers but never a body.
    public var isHead: Bool { method == "HEAD" }
}

/// A complete request: head plus the whole body (bounded by the server's body limit).
public struct HTTPRequest: Sendable {
    public let head: HTTPRequestHead
    public let body: [UInt8]

    public init(head: HTTPRequestHead, body: [UInt8]) {
        self.head = head
        self.body = body
    }

    public var method: String { head.method }
    public var target: String { head.target }
    public var path: Substring { head.path }
    public var headers: HTTPHeaders { head.headers }
}
