/// Writes response heads and chunk framing as bytes.
enum HTTPResponseEncoder {
    /// Appends the status line and headers, plus the framing and connection headers the server owns.
    ///
    /// - Parameters:
    ///   - contentLength: the body length to announce, or `nil` for a chunked (or close-delimited) body.
    ///   - chunked: announce `Transfer-Encoding: chunked`.
    ///   - keepAlive: whether the connection stays open; HTTP/1.0 clients are told explicitly.
    static func writeHead(status: HTTPStatus, headers: HTTPHeaders, contentLength: Int?, chunked: Bool,
                          keepAlive: Bool, requestMinorVersion: Int, date: [UInt8], into buffer: inout [UInt8]) {
        buffer.append(contentsOf: "HTTP/1.1 \(status.code) \(status.reason)\r\n".utf8)
        var filtered = headers
        // Framing is the server's job: a handler's own values could contradict the body it sends.
        if filtered.contains("content-length") { filtered.remove(name: "content-length") }
        if filtered.contains("transfer-encoding") { filtered.remove(name: "transfer-encoding") }
        if filtered.contains("connection") { filtered.remove(name: "connection") }
        filtered.write(into: &buffer)
        if !headers.contains("date") {
            buffer.append(contentsOf: "Date: ".utf8)
            buffer.append(contentsOf: date)
            buffer.append(contentsOf: "\r\n".utf8)
        }
        if let contentLength {
            buffer.append(contentsOf: "Content-Length: \(contentLength)\r\n".utf8)
        } else if chunked {
            buffer.append(contentsOf: "Transfer-Encoding: chunked\r\n".utf8)
        }
        if !keepAlive {
            buffer.append(contentsOf: "Connection: close\r\n".utf8)
        } else if requestMinorVersion == 0 {
            buffer.append(contentsOf: "Connection: keep-alive\r\n".utf8)
        }
        buffer.append(contentsOf: "\r\n".utf8)
    }

    /// `<hex size>\r\n`, the line that opens a chunk.
    static func chunkPrefix(_ size: Int) -> [UInt8] {
        Array(String(size, radix: 16).utf8) + [0x0D, 0x0A]
    }

    static let crlf: [UInt8] = [0x0D, 0x0A]
    static let lastChunk: [UInt8] = Array("0\r\n\r\n".utf8)
    static let continueResponse: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
}
