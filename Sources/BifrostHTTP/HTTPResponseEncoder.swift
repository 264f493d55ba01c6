import BifrostIO

/// Writes response heads and chunk framing as bytes.
enum HTTPResponseEncoder {
    /// Appends the status line and headers, plus the framing and connection headers the server owns.
    ///
    /// - Parameters:
    ///   - contentLength: the body length to announce, or `nil` for a chunked (or close-delimited) body.
    ///   - chunked: announce `Transfer-Encoding: chunked`.
    ///   - keepAlive: whether the connection stays open; HTTP/1.0 clients are told explicitly.
    static func writeHead(status: HTTPStatus, headers: HTTPHeaders, contentLength: Int?, chunked: Bool,
                          keepAlive: Bool, requestMinorVersion: Int, date: [UInt8], into buffer: inout ByteWriter) {
        appendStatusLine(status, into: &buffer)
        let owned = headers.serverOwnedFields()
        if owned.framing {
            // Framing is the server's job: a handler's own values could contradict the body it sends.
            var filtered = headers
            filtered.remove(name: "content-length")
            filtered.remove(name: "transfer-encoding")
            filtered.remove(name: "connection")
            filtered.write(into: &buffer)
        } else {
            headers.write(into: &buffer)
        }
        if !owned.date {
            buffer.append("Date: " as StaticString)
            date.withUnsafeBufferPointer { buffer.append($0) }
            buffer.append("\r\n" as StaticString)
        }
        if let contentLength {
            buffer.append("Content-Length: " as StaticString)
            buffer.appendDecimal(contentLength)
            buffer.append("\r\n" as StaticString)
        } else if chunked {
            buffer.append("Transfer-Encoding: chunked\r\n" as StaticString)
        }
        if !keepAlive {
            buffer.append("Connection: close\r\n" as StaticString)
        } else if requestMinorVersion == 0 {
            buffer.append("Connection: keep-alive\r\n" as StaticString)
        }
        buffer.append("\r\n" as StaticString)
    }

    /// Status lines of the common codes, rendered once.
    private static let statusLines: [Int: [UInt8]] = Dictionary(uniqueKeysWithValues:
        [100, 200, 201, 202, 204, 301, 302, 304, 400, 401, 403, 404, 405, 408, 409, 413, 414, 415, 417, 422, 429, 431,
         500, 501, 502, 503, 504, 505].map { code in
            let status = HTTPStatus(code: code)
            return (code, Array("HTTP/1.1 \(code) \(status.reason)\r\n".utf8))
        })

    private static func appendStatusLine(_ status: HTTPStatus, into buffer: inout ByteWriter) {
        if let line = statusLines[status.code], status.reason == HTTPStatus.defaultReason(status.code) {
            line.withUnsafeBufferPointer { buffer.append($0) }
        } else {
            buffer.append("HTTP/1.1 \(status.code) \(status.reason)\r\n")
        }
    }

    /// `<hex size>\r\n`, the line that opens a chunk.
    static func chunkPrefix(_ size: Int) -> [UInt8] {
        Array(String(size, radix: 16).utf8) + [0x0D, 0x0A]
    }

    static let crlf: [UInt8] = [0x0D, 0x0A]
    static let lastChunk: [UInt8] = Array("0\r\n\r\n".utf8)
    static let continueResponse: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
}
