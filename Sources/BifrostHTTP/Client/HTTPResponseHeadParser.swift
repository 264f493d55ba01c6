/// A response's status line and headers, as received from an upstream.
///
/// Immutable, and a class (like ``HTTPRequestHead``): the connection, the exchange and the caller all
/// hold it, and a reference is one retain where a copy was one per string and buffer.
public final class HTTPClientResponseHead: Sendable {
    public let status: HTTPStatus
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    public let minorVersion: Int
    public let headers: HTTPHeaders

    init(status: HTTPStatus, minorVersion: Int, headers: HTTPHeaders) {
        self.status = status
        self.minorVersion = minorVersion
        self.headers = headers
    }
}

/// How a response body is delimited (RFC 9112 §6.3).
enum ResponseFraming: Equatable {
    case none
    case contentLength(Int)
    case chunked
    /// Read until the server closes the connection.
    case untilClose
}

/// Incremental response-head parser: same strictness as the request parser, status line instead of
/// request line. Errors are plain messages; the client reports them as `protocol` failures.
struct HTTPResponseHeadParser {
    var maxHeadBytes = 64 * 1024
    var maxHeaderCount = 256
    private var scanned = 0

    enum Result {
        case incomplete
        case complete(HTTPClientResponseHead, consumed: Int)
        case invalid(String)
    }

    mutating func reset() { scanned = 0 }

    mutating func parse(_ buffer: UnsafeRawBufferPointer) -> Result {
        let end: Int
        switch HeadBoundary.find(in: buffer, start: 0, resumeAt: scanned) {
        case .found(let boundary): end = boundary
        case .bareLineFeed: return .invalid("response line ends with a bare LF")
        case .notFound:
            scanned = buffer.count
            return buffer.count > maxHeadBytes ? .invalid("response headers exceed \(maxHeadBytes) bytes") : .incomplete
        }
        guard end <= maxHeadBytes else { return .invalid("response headers exceed \(maxHeadBytes) bytes") }
        let storage = [UInt8](UnsafeRawBufferPointer(rebasing: buffer[0..<end]))
        return decode(storage, end: end)
    }

    private func decode(_ storage: [UInt8], end: Int) -> Result {
        // HTTP/1.x SP 3DIGIT SP [reason] CRLF
        guard storage.count >= 14,
              storage[0] == UInt8(ascii: "H"), storage[1] == UInt8(ascii: "T"), storage[2] == UInt8(ascii: "T"),
              storage[3] == UInt8(ascii: "P"), storage[4] == UInt8(ascii: "/"), storage[5] == UInt8(ascii: "1"),
              storage[6] == UInt8(ascii: "."), storage[7] == UInt8(ascii: "0") || storage[7] == UInt8(ascii: "1"),
              storage[8] == 0x20, ASCII.isDigit(storage[9]), ASCII.isDigit(storage[10]), ASCII.isDigit(storage[11])
        else {
            return .invalid("not an HTTP/1.x status line")
        }
        let code = Int(storage[9] - 48) * 100 + Int(storage[10] - 48) * 10 + Int(storage[11] - 48)
        var position = 12
        var reasonStart = 12
        if storage[12] == 0x20 {
            reasonStart = 13
            position = 13
            while position < storage.count && storage[position] != 0x0D {
                guard ASCII.isFieldValueByte(storage[position]) else { return .invalid("invalid character in reason phrase") }
                position += 1
            }
        }
        guard position + 1 < storage.count, storage[position] == 0x0D, storage[position + 1] == 0x0A else {
            return .invalid("malformed status line")
        }
        let reason = String(decoding: storage[reasonStart..<position], as: UTF8.self)
        position += 2
        var fields: [HTTPHeaders.Field] = []
        fields.reserveCapacity(16)  // one allocation for a usual head instead of one per doubling
        while !(position + 1 < storage.count && storage[position] == 0x0D && storage[position + 1] == 0x0A) {
            switch HeadBoundary.parseFieldLine(storage, at: &position) {
            case .success(let field): fields.append(field)
            case .failure(let error): return .invalid(error.message)
            }
            guard fields.count <= maxHeaderCount else { return .invalid("more than \(maxHeaderCount) response headers") }
        }
        let head = HTTPClientResponseHead(status: HTTPStatus(code: code, reason: reason.isEmpty ? nil : reason),
                                          minorVersion: Int(storage[7] - 48),
                                          headers: HTTPHeaders(storage: storage, fields: fields))
        return .complete(head, consumed: end)
    }
}

extension HTTPClientResponseHead {
    /// The body framing for this response to a request with `method` (RFC 9112 §6.3).
    func framing(requestMethod: String) throws(ResponseFramingError) -> ResponseFraming {
        if requestMethod == "HEAD" || status.forbidsBody { return .none }
        if headers.contains("transfer-encoding") {
            let codings = headers.lowercasedElements("transfer-encoding")
            return codings.last == "chunked" ? .chunked : .untilClose
        }
        switch headers.contentLength() {
        case .absent: return .untilClose
        case .value(let length): return length == 0 ? .none : .contentLength(length)
        case .invalid:
            let lengths = headers.values("content-length").joined(separator: ", ")
            throw ResponseFramingError(message: "invalid Content-Length in response: \(lengths)")
        }
    }

    /// Whether the connection may carry another request after this response.
    var allowsReuse: Bool {
        if headers.containsToken("close", in: "connection") { return false }
        return minorVersion >= 1 || headers.containsToken("keep-alive", in: "connection")
    }
}

struct ResponseFramingError: Error {
    let message: String
}

extension Substring {
    func trimmingCharacters(in characters: String) -> String {
        var view = self
        while let first = view.first, characters.contains(first) { view.removeFirst() }
        while let last = view.last, characters.contains(last) { view.removeLast() }
        return String(view)
    }
}
