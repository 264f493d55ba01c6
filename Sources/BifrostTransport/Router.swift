import BifrostHTTP

/// Maps `METHOD path` to a handler; answers 404 for unknown paths and 405 (with `Allow`) for known
/// paths asked with the wrong method. `HEAD` is served by the `GET` handler (the server drops the body).
/// Besides exact paths, a route may own every path under a prefix (e.g. `/genai/v1beta/models/`,
/// where the model is part of the path).
public struct Router: HTTPHandler {
    /// Handles one request on the connection's loop (see ``HTTPHandler``).
    public typealias Handler = @Sendable (HTTPRequest, HTTPResponder) -> Void

    /// A path (or, for a prefix route, the prefix), the label metrics use and its handlers by method.
    /// Routes are few, so they are found by comparing bytes in a list: cheaper than hashing the
    /// path and the method into dictionaries on every request.
    private struct Route {
        let path: [UInt8]
        let label: String
        var methods: [MethodHandler] = []

        func handler(for method: String) -> Handler? {
            for index in methods.indices where methods[index].method == method { return methods[index].handler }
            return nil
        }

        mutating func set(_ method: String, _ handler: @escaping Handler) {
            if let index = methods.firstIndex(where: { $0.method == method }) {
                methods[index].handler = handler
            } else {
                methods.append(MethodHandler(method: method, handler: handler))
            }
        }
    }

    /// A struct, not a tuple: an array of tuples keeps the closure in its most general form, and
    /// taking it out again allocated a conversion thunk per request.
    private struct MethodHandler {
        let method: String
        var handler: Handler
    }

    private var exact: [Route] = []
    /// Prefix routes in registration order.
    private var prefixes: [Route] = []

    public init() {}

    /// Adds a handler for `method` (e.g. `"POST"`) on the exact `path`.
    public mutating func add(_ method: String, _ path: String, _ handler: @escaping Handler) {
        Self.add(method, handler, to: &exact, path: path, label: path)
    }

    /// Adds a handler for `method` on every path that starts with `prefix`; `label` names the route in
    /// metrics (e.g. `/genai/v1beta/models/{model}`).
    public mutating func add(_ method: String, prefix: String, label: String, _ handler: @escaping Handler) {
        Self.add(method, handler, to: &prefixes, path: prefix, label: label)
    }

    private static func add(_ method: String, _ handler: @escaping Handler, to routes: inout [Route], path: String, label: String) {
        let bytes = Array(path.utf8)
        if let index = routes.firstIndex(where: { $0.path == bytes }) {
            routes[index].set(method, handler)
        } else {
            var route = Route(path: bytes, label: label)
            route.set(method, handler)
            routes.append(route)
        }
    }

    /// The route label for `path`: the path itself when registered, a prefix route's label, else nil.
    public func label(for path: String) -> String? {
        var path = path
        return path.withUTF8 { bytes in routeIndex(for: bytes).map { route($0).label } }
    }

    public func handle(_ request: HTTPRequest, responder: HTTPResponder) {
        var path = request.path
        guard let found = path.withUTF8({ routeIndex(for: $0) }) else {
            responder.send(.error(.notFound, type: "not_found", message: "no route for \(request.method) \(request.path)"))
            return
        }
        let route = route(found)
        responder.setRoute(route.label)  // the stored label: no new string per request
        if let handler = route.handler(for: request.method) ?? (request.head.isHead ? route.handler(for: "GET") : nil) {
            handler(request, responder)
            return
        }
        var allowed = route.methods.map(\.method).sorted()
        if allowed.contains("GET") && !allowed.contains("HEAD") { allowed.append("HEAD") }
        let allow = allowed.joined(separator: ", ")
        var response = HTTPResponse.error(.methodNotAllowed, type: "method_not_allowed",
                                          message: "\(request.method) is not allowed on \(request.path); use \(allow)")
        response.headers.add(name: "Allow", value: allow)
        responder.send(response)
    }

    /// Where a route was found: an exact route wins over prefixes; prefixes in registration order.
    private enum RouteIndex {
        case exact(Int)
        case prefix(Int)
    }

    private func routeIndex(for path: UnsafeBufferPointer<UInt8>) -> RouteIndex? {
        if let index = exact.firstIndex(where: { $0.path.count == path.count && Self.startsWith(path, $0.path) }) {
            return .exact(index)
        }
        if let index = prefixes.firstIndex(where: { $0.path.count <= path.count && Self.startsWith(path, $0.path) }) {
            return .prefix(index)
        }
        return nil
    }

    /// Whether `bytes` begins with `prefix` (which is no longer), compared by index.
    private static func startsWith(_ bytes: UnsafeBufferPointer<UInt8>, _ prefix: [UInt8]) -> Bool {
        prefix.withUnsafeBufferPointer { prefix in
            for offset in prefix.indices where bytes[offset] != prefix[offset] { return false }
            return true
        }
    }

    private func route(_ index: RouteIndex) -> Route {
        switch index {
        case .exact(let index): exact[index]
        case .prefix(let index): prefixes[index]
        }
    }
}
