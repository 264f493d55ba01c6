import BifrostCore
import BifrostHTTP
import BifrostPluginKit
import Foundation

/// JSON and Server-Sent Event bodies for engine results.
enum ResponseEncoding {
    static func json(_ response: BifrostResponse) -> HTTPResponse {
        .json(.ok, JSONWriter.encode(response))
    }

    /// Bifrost's error body with its status (`status_code`, else 500 for gateway faults, 400 otherwise).
    static func error(_ error: BifrostError) -> HTTPResponse {
        var response = HTTPResponse.json(HTTPStatus(code: error.httpStatus), errorBody(error))
        if let retryAfter = error.retryAfter, error.httpStatus == 429 || error.httpStatus == 503 {
            response.headers.add(name: "Retry-After", value: String(Int(retryAfter.rounded(.up))))
        }
        return response
    }

    static func errorBody(_ error: BifrostError) -> [UInt8] {
        JSONWriter.encode(error)
    }

    static let eventStreamHead = HTTPResponseHead(status: .ok, headers: HTTPHeaders([
        ("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache"), ("X-Accel-Buffering", "no"),
    ]))

    static func event(_ chunk: BifrostResponse) -> [UInt8] {
        var bytes = Array("data: ".utf8)
        bytes.append(contentsOf: JSONWriter.encode(chunk))
        bytes.append(contentsOf: [0x0A, 0x0A])
        return bytes
    }

    static func errorEvent(_ error: BifrostError) -> [UInt8] {
        Array("data: ".utf8) + errorBody(error) + [0x0A, 0x0A]
    }

    static let done: [UInt8] = Array("data: [DONE]\n\n".utf8)
}
