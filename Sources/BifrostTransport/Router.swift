import BifrostHTTP

/// Maps `METHOD path` to a handler; answers 404 for unknown paths and 405 (with `Allow`) for known
/// paths asked with the wrong method. `HEAD` is served by the `GET` handler (the server drops the body).
public struct Router: HTTPHandler {
    /// Handles one request on the connection's loop (see ``HTTPHandler``).
    public typealias Handler = @Sendable (HTTPRequest, HTTPResponder) -> Void

    private var routes: [String: [String: Handler]] = [:]

    public init() {}

    /// Every registered path (the bounded set metrics may use as labels).
    public var paths: Set<String> { Set(routes.keys) }

    /// Adds a handler for `method` (e.g. `"POST"`) on the exact `path`.
    public mutating func add(_ method: String, _ path: String, _ handler: @escaping Handler) {
        routes[path, default: [:]][method] = handler
    }

    public func handle(_ request: HTTPRequest, responder: HTTPResponder) {
        guard let methods = routes[String(request.path)] else {
            responder.send(.error(.notFound, type: "not_found", message: "no route for \(request.method) \(request.path)"))
            return
        }
        if let handler = methods[request.method] ?? (request.head.isHead ? methods["GET"] : nil) {
            handler(request, responder)
            return
        }
        var allowed = methods.keys.sorted()
        if allowed.contains("GET") && !allowed.contains("HEAD") { allowed.append("HEAD") }
        let allow = allowed.joined(separator: ", ")
        var response = HTTPResponse.error(.methodNotAllowed, type: "method_not_allowed",
                                          message: "\(request.method) is not allowed on \(request.path); use \(allow)")
        response.headers.add(name: "Allow", value: allow)
        responder.send(response)
    }
}
