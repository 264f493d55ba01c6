import BifrostCore
import BifrostHTTP
import BifrostPluginKit
import Foundation

/// JSON and Server-Sent Event bodies for engine results.
enum ResponseEncoding {
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()

    static func json(_ response: BifrostResponse) -> HTTPResponse {
        do {
            return .json(.ok, Array(try encoder.encode(response)))
        } catch {
            return Self.error(BifrostError(message: "cannot encode the response: \(error)", type: "internal_error", statusCode: 500))
        }
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
        var body = error
        if body.statusCode == nil { body.statusCode = error.httpStatus }
        return (try? Array(encoder.encode(body))) ?? Array(#"{"is_bifrost_error":true,"error":{"message":"internal error"}}"#.utf8)
    }

    static let eventStreamHead = HTTPResponseHead(status: .ok, headers: HTTPHeaders([
        ("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache"), ("X-Accel-Buffering", "no"),
    ]))

    static func event(_ chunk: BifrostResponse) -> [UInt8] {
        var bytes = Array("data: ".utf8)
        bytes.append(contentsOf: (try? encoder.encode(chunk)) ?? Data())
        bytes.append(contentsOf: [0x0A, 0x0A])
        return bytes
    }

    static func errorEvent(_ error: BifrostError) -> [UInt8] {
        Array("data: ".utf8) + errorBody(error) + [0x0A, 0x0A]
    }

    static let done: [UInt8] = Array("data: [DONE]\n\n".utf8)
}
