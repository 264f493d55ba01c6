/// A complete response: status, headers and the whole body.
///
/// The server adds `Content-Length`, `Date` and `Connection` itself; a handler sets only its own headers.
public struct HTTPResponse: Sendable {
    public var status: HTTPStatus
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: HTTPStatus, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON response from already-encoded bytes.
    public static func json(_ status: HTTPStatus, _ body: [UInt8], headers: HTTPHeaders = HTTPHeaders()) -> HTTPResponse {
        guard !headers.isEmpty else { return HTTPResponse(status: status, headers: jsonContentType, body: body) }
        var headers = headers
        headers.add(name: "Content-Type", value: "application/json")
        return HTTPResponse(status: status, headers: headers, body: body)
    }

    /// Shared by every JSON response without headers of its own (no allocation per response).
    private static let jsonContentType = HTTPHeaders([("Content-Type", "application/json")])

    /// A JSON response from an encoded string.
    public static func json(_ status: HTTPStatus, _ body: String, headers: HTTPHeaders = HTTPHeaders()) -> HTTPResponse {
        json(status, Array(body.utf8), headers: headers)
    }

    /// The small JSON error body this gateway uses for failures it detects itself
    /// (Bifrost's error shape: `is_bifrost_error`, `status_code`, `error{type, message}`).
    public static func error(_ status: HTTPStatus, type: String, message: String) -> HTTPResponse {
        json(status, errorBody(status: status, type: type, message: message))
    }

    static func errorBody(status: HTTPStatus, type: String, message: String) -> String {
        "{\"is_bifrost_error\":true,\"status_code\":\(status.code),\"error\":{\"type\":\(JSONString.quote(type)),\"message\":\(JSONString.quote(message))}}"
    }
}

/// The status and headers that open a streamed response.
public struct HTTPResponseHead: Sendable {
    public var status: HTTPStatus
    public var headers: HTTPHeaders

    public init(status: HTTPStatus, headers: HTTPHeaders = HTTPHeaders()) {
        self.status = status
        self.headers = headers
    }
}

/// Minimal JSON string quoting for bodies the HTTP layer writes itself.
public enum JSONString {
    /// Returns `value` as a JSON string literal, quotes included.
    public static func quote(_ value: String) -> String {
        var out = "\""
        out.reserveCapacity(value.utf8.count + 2)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
