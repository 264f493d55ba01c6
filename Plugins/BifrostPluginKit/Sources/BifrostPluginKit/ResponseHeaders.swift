/// One header a plugin adds to the HTTP response of its request (e.g. the cache's `x-bf-cache`).
public struct ResponseHeader: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

extension BifrostContext {
    /// The context key under which response headers are kept, as `[ResponseHeader]`.
    public static let responseHeadersKey = "bifrost.response_headers"

    /// Adds `name: value` to the HTTP response the gateway sends for this request, replacing an
    /// earlier value of the same name (case-insensitive). Headers set before the response starts
    /// are sent: for a stream, that is before the first chunk (in a PreHook); later ones are ignored.
    /// The hooks of one request run one after another, so no two hooks race here.
    public func addResponseHeader(_ name: String, _ value: String) {
        var headers = responseHeaders
        headers.removeAll { $0.name.lowercased() == name.lowercased() }
        headers.append(ResponseHeader(name: name, value: value))
        set(Self.responseHeadersKey, headers)
    }

    /// The headers plugins added to this request's response, in the order they were added.
    public var responseHeaders: [ResponseHeader] {
        value(Self.responseHeadersKey, as: [ResponseHeader].self) ?? []
    }
}
