import Glibc

/// Limits the parser enforces while reading a request head.
public struct HTTPParserLimits: Sendable, Equatable {
    /// Request line plus header section, in bytes (431 beyond it).
    public var maxHeadBytes: Int
    /// Number of header fields (431 beyond it).
    public var maxHeaderCount: Int

    public init(maxHeadBytes: Int = 16 * 1024, maxHeaderCount: Int = 100) {
        self.maxHeadBytes = maxHeadBytes
        self.maxHeaderCount = maxHeaderCount
    }
}

/// The outcome of feeding bytes to ``HTTPRequestHeadParser``.
public enum HTTPHeadParseResult: Sendable {
    /// More bytes are needed; feed the same bytes again plus whatever arrives next.
    case incomplete
    /// A head was parsed from the first `consumed` bytes; the body (if any) starts right after.
    case complete(HTTPRequestHead, consumed: Int)
    /// The bytes are not a valid HTTP/1.x request head.
    case invalid(HTTPRequestError)
}

/// An incremental request-head parser in the style of picohttpparser.
///
/// Feed it the unconsumed bytes of the connection each time more arrive. It remembers how far it has
/// already scanned for the end of the head, so byte-at-a-time input costs linear time. The head is
/// validated strictly (CRLF line endings, token characters, no obs-fold, no bare CR/LF) and its body
/// framing decided here, so that ambiguous framing (the root of request smuggling) never reaches
/// the server.
public struct HTTPRequestHeadParser: Sendable {
    public let limits: HTTPParserLimits
    private var scanned = 0

    public init(limits: HTTPParserLimits = HTTPParserLimits()) {
        self.limits = limits
    }

    /// Forgets progress; call after a head is complete, before parsing the next request.
    public mutating func reset() { scanned = 0 }

    /// Parses a request head at the start of `buffer`.
    public mutating func parse(_ buffer: UnsafeRawBufferPointer) -> HTTPHeadParseResult {
        let count = buffer.count
        // RFC 9112 §2.2: ignore empty lines (CRLF) before the request line; a bare CR or LF is invalid.
        var start = 0
        while start < count && (buffer[start] == 0x0D || buffer[start] == 0x0A) {
            if buffer[start] == 0x0A {
                return .invalid(.malformed("bare LF before the request line"))
            }
            guard start + 1 < count else { return .incomplete }
            guard buffer[start + 1] == 0x0A else {
                return .invalid(.malformed("bare CR before the request line"))
            }
            start += 2
            if start > 64 { return .invalid(.malformed("too many empty lines before the request line")) }
        }
        guard start < count else { return .incomplete }

        let end: Int
        switch HeadBoundary.find(in: buffer, start: start, resumeAt: scanned) {
        case .found(let boundary): end = boundary
        case .bareLineFeed: return .invalid(.malformed("line ends with a bare LF (CRLF required)"))
        case .notFound: end = -1
        }
        guard end >= 0 else {
            scanned = count
            if count - start > limits.maxHeadBytes { return .invalid(headTooLarge) }
            return .incomplete
        }
        if end - start > limits.maxHeadBytes { return .invalid(headTooLarge) }
        let storage = [UInt8](UnsafeRawBufferPointer(rebasing: buffer[start..<end]))
        var decoder = HeadDecoder(storage: storage, limits: limits)
        switch decoder.decode() {
        case .success(let head): return .complete(head, consumed: end)
        case .failure(let error): return .invalid(error)
        }
    }

    private var headTooLarge: HTTPRequestError {
        HTTPRequestError(.headersTooLarge, code: "header_too_large",
                         "request line and headers exceed \(limits.maxHeadBytes) bytes")
    }
}

/// Decodes one complete head (request line, fields, final empty line) held in `storage`.
private struct HeadDecoder {
    let storage: [UInt8]
    let limits: HTTPParserLimits
    private var position = 0

    init(storage: [UInt8], limits: HTTPParserLimits) {
        self.storage = storage
        self.limits = limits
    }

    private enum Known { case other, contentLength, transferEncoding, host, expect, connection }

    mutating func decode() -> Result<HTTPRequestHead, HTTPRequestError> {
        // Request line: method SP target SP HTTP/1.x CRLF
        let methodEnd = scan(while: ASCII.isToken)
        guard methodEnd > 0, byte(methodEnd) == 0x20 else {
            return .failure(.malformed("invalid method in request line"))
        }
        let method = string(0, methodEnd)
        position = methodEnd + 1
        let targetStart = position
        let targetEnd = scan(while: ASCII.isTargetByte)
        guard targetEnd > targetStart, byte(targetEnd) == 0x20 else {
            return .failure(.malformed("invalid request target in request line"))
        }
        let target = string(targetStart, targetEnd)
        position = targetEnd + 1
        let minorVersion: Int
        switch version() {
        case .success(let minor): minorVersion = minor
        case .failure(let error): return .failure(error)
        }

        // Header fields.
        var fields: [HTTPHeaders.Field] = []
        fields.reserveCapacity(16)  // one allocation for a usual head instead of one per doubling
        var contentLength: Int?
        var contentLengthSeen = false
        var transferEncoding: [HTTPHeaders.Field] = []
        var hostCount = 0
        var expectsContinueField = false
        var connectionSeen = false
        while !(byte(position) == 0x0D && byte(position + 1) == 0x0A) {
            let field: HTTPHeaders.Field
            switch HeadBoundary.parseFieldLine(storage, at: &position) {
            case .success(let parsed): field = parsed
            case .failure(let error): return .failure(.malformed(error.message))
            }
            let nameStart = Int(field.nameStart), nameEnd = nameStart + Int(field.nameLength)
            let valueStart = Int(field.valueStart), valueEnd = valueStart + Int(field.valueLength)
            fields.append(field)
            guard fields.count <= limits.maxHeaderCount else {
                return .failure(HTTPRequestError(.headersTooLarge, code: "too_many_headers",
                                                 "more than \(limits.maxHeaderCount) header fields"))
            }
            switch classify(nameStart, nameEnd) {
            case .contentLength:
                contentLengthSeen = true
                switch ContentLength.parse(storage, from: valueStart, to: valueEnd) {
                case nil:
                    return .failure(HTTPRequestError(.badRequest, code: "invalid_content_length",
                                                     "Content-Length is not a non-negative integer"))
                case let value?:
                    if let previous = contentLength, previous != value {
                        return .failure(HTTPRequestError(.badRequest, code: "invalid_content_length",
                                                         "conflicting Content-Length values"))
                    }
                    contentLength = value
                }
            case .transferEncoding: transferEncoding.append(field)
            case .expect:
                guard minorVersion == 0 || equalsIgnoringCase(valueStart, valueEnd, "100-continue") else {
                    return .failure(HTTPRequestError(.expectationFailed, code: "unsupported_expectation",
                                                     "only Expect: 100-continue is supported"))
                }
                expectsContinueField = minorVersion == 1
            case .host:
                hostCount += 1
                guard (valueStart..<valueEnd).allSatisfy({ storage[$0] > 0x20 && storage[$0] != 0x7F }) else {
                    return .failure(HTTPRequestError(.badRequest, code: "invalid_host", "Host header contains whitespace"))
                }
            case .connection: connectionSeen = true
            case .other: break
            }
        }

        let headers = HTTPHeaders(storage: storage, fields: fields)
        if minorVersion == 1 && hostCount != 1 {
            return .failure(HTTPRequestError(.badRequest, code: "invalid_host",
                                             hostCount == 0 ? "missing Host header" : "more than one Host header"))
        }

        let framing: HTTPBodyFraming
        if !transferEncoding.isEmpty {
            if contentLengthSeen {
                return .failure(HTTPRequestError(.badRequest, code: "conflicting_framing",
                                                 "both Content-Length and Transfer-Encoding are present"))
            }
            if minorVersion == 0 {
                return .failure(HTTPRequestError(.badRequest, code: "conflicting_framing",
                                                 "Transfer-Encoding is not allowed in HTTP/1.0 requests"))
            }
            let codings = headers.lowercasedElements("transfer-encoding")
            guard codings.last == "chunked" else {
                return .failure(HTTPRequestError(.badRequest, code: "invalid_transfer_encoding",
                                                 "Transfer-Encoding must end with chunked"))
            }
            guard codings.filter({ $0 == "chunked" }).count == 1 else {
                return .failure(HTTPRequestError(.badRequest, code: "invalid_transfer_encoding",
                                                 "chunked must be applied exactly once"))
            }
            guard codings.count == 1 else {
                return .failure(HTTPRequestError(.notImplemented, code: "unsupported_transfer_encoding",
                                                 "only Transfer-Encoding: chunked is supported"))
            }
            framing = .chunked
        } else if let contentLength, contentLength > 0 {
            framing = .contentLength(contentLength)
        } else {
            framing = .none
        }

        // Without a Connection field there is nothing to look up: HTTP/1.1 keeps the connection, 1.0 closes it.
        let wantsClose = connectionSeen && headers.containsToken("close", in: "connection")
        let keepAlive = minorVersion == 1 ? !wantsClose : (!wantsClose && connectionSeen && headers.containsToken("keep-alive", in: "connection"))

        let expectsContinue = expectsContinueField && framing != .none
        return .success(HTTPRequestHead(method: method, target: target, minorVersion: minorVersion, headers: headers,
                                        framing: framing, keepAlive: keepAlive, expectsContinue: expectsContinue))
    }

    private mutating func version() -> Result<Int, HTTPRequestError> {
        let p = position
        guard p + 10 <= storage.count,
              storage[p] == UInt8(ascii: "H"), storage[p + 1] == UInt8(ascii: "T"),
              storage[p + 2] == UInt8(ascii: "T"), storage[p + 3] == UInt8(ascii: "P"),
              storage[p + 4] == UInt8(ascii: "/"), ASCII.isDigit(storage[p + 5]),
              storage[p + 6] == UInt8(ascii: "."), ASCII.isDigit(storage[p + 7]),
              storage[p + 8] == 0x0D, storage[p + 9] == 0x0A
        else {
            return .failure(.malformed("invalid HTTP version in request line"))
        }
        position = p + 10
        guard storage[p + 5] == UInt8(ascii: "1"), storage[p + 7] <= UInt8(ascii: "1") else {
            return .failure(HTTPRequestError(.versionNotSupported, code: "unsupported_version",
                                             "HTTP/\(Character(UnicodeScalar(storage[p + 5]))).\(Character(UnicodeScalar(storage[p + 7]))) is not supported; use HTTP/1.1"))
        }
        return .success(Int(storage[p + 7] - UInt8(ascii: "0")))
    }

    private func byte(_ index: Int) -> UInt8 { index < storage.count ? storage[index] : 0 }

    private func scan(while predicate: (UInt8) -> Bool) -> Int {
        var index = position
        while index < storage.count && predicate(storage[index]) { index += 1 }
        return index
    }

    private func string(_ start: Int, _ end: Int) -> String {
        String(decoding: storage[start..<end], as: UTF8.self)
    }

    private func equalsIgnoringCase(_ start: Int, _ end: Int, _ literal: StaticString) -> Bool {
        guard end - start == literal.utf8CodeUnitCount else { return false }
        return storage.withUnsafeBufferPointer {
            ASCII.equalsIgnoringCase($0, at: start, UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
        }
    }

    private func classify(_ start: Int, _ end: Int) -> Known {
        switch end - start {
        case 4: equalsIgnoringCase(start, end, "host") ? .host : .other
        case 6: equalsIgnoringCase(start, end, "expect") ? .expect : .other
        case 10: equalsIgnoringCase(start, end, "connection") ? .connection : .other
        case 14: equalsIgnoringCase(start, end, "content-length") ? .contentLength : .other
        case 17: equalsIgnoringCase(start, end, "transfer-encoding") ? .transferEncoding : .other
        default: .other
        }
    }

    /// Content-Length: digits only (a comma list of identical values is accepted, RFC 9110 §8.6).
}

/// Head framing shared by the request and response parsers: where a head ends, and one field line.
enum HeadBoundary {
    enum Search { case found(Int), notFound, bareLineFeed }

    /// Finds the end of a head (just past CRLF CRLF) in `buffer`, scanning from `resumeAt`
    /// (bytes before it were already searched) but never before `start`.
    static func find(in buffer: UnsafeRawBufferPointer, start: Int, resumeAt: Int) -> Search {
        guard let base = buffer.baseAddress else { return .notFound }
        var index = max(start, resumeAt)
        while index < buffer.count {
            // Line feeds are few: memchr jumps from one to the next.
            guard let found = memchr(base + index, 0x0A, buffer.count - index) else { return .notFound }
            index = base.distance(to: UnsafeRawPointer(found))
            guard index > start, buffer[index - 1] == 0x0D else { return .bareLineFeed }
            if index - start >= 3 && buffer[index - 2] == 0x0A { return .found(index + 1) }
            index += 1
        }
        return .notFound
    }

    /// Parses `name: value CRLF` at `position` (advancing it past the CRLF). The value is trimmed of
    /// surrounding whitespace; obs-fold, whitespace before the colon and control bytes are errors.
    static func parseFieldLine(_ storage: [UInt8], at position: inout Int) -> Result<HTTPHeaders.Field, HeadSyntaxError> {
        storage.withUnsafeBufferPointer { parseFieldLine($0, at: &position) }
    }

    private static func parseFieldLine(_ bytes: UnsafeBufferPointer<UInt8>, at position: inout Int) -> Result<HTTPHeaders.Field, HeadSyntaxError> {
        func byte(_ index: Int) -> UInt8 { index < bytes.count ? bytes[index] : 0 }
        if ASCII.isWhitespace(byte(position)) {
            return .failure(HeadSyntaxError("obsolete line folding (header line starts with whitespace)"))
        }
        let nameStart = position
        while position < bytes.count && ASCII.isToken(bytes[position]) { position += 1 }
        let nameEnd = position
        guard nameEnd > nameStart else { return .failure(HeadSyntaxError("invalid header field name")) }
        guard byte(nameEnd) == UInt8(ascii: ":") else {
            return .failure(HeadSyntaxError(ASCII.isWhitespace(byte(nameEnd))
                ? "whitespace between header name and colon" : "invalid character in header field name"))
        }
        position = nameEnd + 1
        while ASCII.isWhitespace(byte(position)) { position += 1 }
        let valueStart = position
        position = ASCII.endOfFieldValue(bytes, from: position)
        guard byte(position) == 0x0D, byte(position + 1) == 0x0A else {
            let name = String(decoding: UnsafeBufferPointer(rebasing: bytes[nameStart..<nameEnd]), as: UTF8.self)
            return .failure(HeadSyntaxError("invalid character in value of header \(name)"))
        }
        var valueEnd = position
        while valueEnd > valueStart && ASCII.isWhitespace(bytes[valueEnd - 1]) { valueEnd -= 1 }
        position += 2
        return .success(HTTPHeaders.Field(nameStart: Int32(nameStart), nameLength: Int32(nameEnd - nameStart),
                                          valueStart: Int32(valueStart), valueLength: Int32(valueEnd - valueStart)))
    }
}

/// A syntax error in a head, in words.
struct HeadSyntaxError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
