import BifrostHTTP

/// Maps `METHOD path` to a handler; answers 404 for unknown paths and 405 (with `Allow`) for known
/// paths asked with the wrong method. `HEAD` is served by the `GET` handler (the server drops the body).
/// Besides exact paths, a route may own every path under a prefix (e.g. `/genai/v1beta/models/`,
/// where the model is part of the path).
public struct Router: HTTPHandler {
    /// Handles one request on the connection's loop (see ``HTTPHandler``).
    public typealias Handler = @Sendable (HTTPRequest, HTTPResponder) -> Void

    private var routes: [String: [String: Handler]] = [:]
    /// Prefix routes in registration order: the prefix, the label metrics use, handlers by method.
    private var prefixes: [(prefix: String, label: String, methods: [String: Handler])] = []

    public init() {}

    /// Every registered path and prefix label (the bounded set metrics may use as labels).
    public var paths: Set<String> { Set(routes.keys).union(prefixes.map(\.label)) }

    /// Adds a handler for `method` (e.g. `"POST"`) on the exact `path`.
    public mutating func add(_ method: String, _ path: String, _ handler: @escaping Handler) {
        routes[path, default: [:]][method] = handler
    }

    /// Adds a handler for `method` on every path that starts with `prefix`; `label` names the route in
    /// metrics (e.g. `/genai/v1beta/models/{model}`).
    public mutating func add(_ method: String, prefix: String, label: String, _ handler: @escaping Handler) {
        if let index = prefixes.firstIndex(where: { $0.prefix == prefix }) {
            prefixes[index].methods[method] = handler
        } else {
            prefixes.append((prefix, label, [method: handler]))
        }
    }

    /// The route label for `path`: the path itself when registered, a prefix route's label, else nil.
    public func label(for path: String) -> String? {
        if routes[path] != nil { return path }
        return prefixes.first { path.hasPrefix($0.prefix) }?.label
    }

    public func handle(_ request: HTTPRequest, responder: HTTPResponder) {
        let path = String(request.path)
        let methods: [String: Handler]
        if let index = routes.index(forKey: path) {
            responder.setRoute(routes[index].key)  // the stored key: no new string per request
            methods = routes[index].value
        } else if let prefix = prefixes.first(where: { path.hasPrefix($0.prefix) }) {
            responder.setRoute(prefix.label)
            methods = prefix.methods
        } else {
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
