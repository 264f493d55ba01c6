import Glibc

/// A blocking HTTP/1.1 test client over a real TCP socket, with a receive timeout so a broken
/// mock fails the test instead of hanging it. Used only from Dispatch threads.
final class MockTestClient {
    let fd: Int32
    private var buffer: [UInt8] = []

    struct Response: Sendable {
        var status: Int
        var headers: [(String, String)]
        var body: [UInt8]
        /// For chunked bodies: when each chunk finished arriving (monotonic ms) and its size.
        var chunkArrivals: [(milliseconds: Double, bytes: Int)] = []
        var bodyText: String { String(decoding: body, as: UTF8.self) }
        func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }
    }

    enum Failure: Error, CustomStringConvertible, Equatable {
        case connect(Int32)
        /// EOF before the response was complete.
        case closed
        /// The peer reset the connection.
        case reset
        case timeout
        case malformed(String)
        var description: String {
            switch self {
            case .connect(let code): "connect failed: errno \(code)"
            case .closed: "connection closed by the server"
            case .reset: "connection reset by the server"
            case .timeout: "timed out waiting for the server"
            case .malformed(let what): "malformed response: \(what)"
            }
        }
    }

    init(port: Int, timeoutSeconds: Int = 5) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if rc != 0 {
            let code = errno
            close(fd)
            throw Failure.connect(code)
        }
    }

    deinit { close(fd) }

    /// The bytes of a request with `Content-Length` when there is a body.
    static func request(_ method: String, _ path: String, body: String? = nil, headers: [(String, String)] = []) -> String {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: mock\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if let body {
            text += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
        } else {
            text += "\r\n"
        }
        return text
    }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { throw Failure.closed }
            offset += n
        }
    }

    /// Reads more bytes into the buffer; false on EOF.
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let n = recv(fd, &chunk, chunk.count, 0)
        if n > 0 {
            buffer.append(contentsOf: chunk[0..<n])
            return true
        }
        if n == 0 { return false }
        if errno == EAGAIN || errno == EWOULDBLOCK { throw Failure.timeout }
        if errno == ECONNRESET { throw Failure.reset }
        return false
    }

    private func readLine() throws -> String {
        while true {
            if let index = buffer.firstIndex(of: 0x0A), index > 0, buffer[index - 1] == 0x0D {
                let line = String(decoding: buffer[0..<(index - 1)], as: UTF8.self)
                buffer.removeFirst(index + 1)
                return line
            }
            guard try fill() else { throw Failure.closed }
        }
    }

    private func readExactly(_ count: Int) throws -> [UInt8] {
        while buffer.count < count {
            guard try fill() else { throw Failure.closed }
        }
        let bytes = Array(buffer[0..<count])
        buffer.removeFirst(count)
        return bytes
    }

    /// Reads a status line and headers.
    func readHead() throws -> Response {
        let statusLine = try readLine()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw Failure.malformed(statusLine)
        }
        var headers: [(String, String)] = []
        while true {
            let line = try readLine()
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: ":") else { throw Failure.malformed(line) }
            var value = line[line.index(after: colon)...]
            while value.first == " " { value = value.dropFirst() }
            headers.append((String(line[..<colon]), String(value)))
        }
        return Response(status: status, headers: headers, body: [])
    }

    /// Reads the body of a response whose head was read with ``readHead()``.
    /// `partial` receives what arrived when the body breaks off.
    func readBody(of head: Response, partial: ((Response) -> Void)? = nil) throws -> Response {
        var response = head
        do {
            if let length = response.header("content-length").flatMap(Int.init) {
                response.body = try readExactly(length)
            } else if response.header("transfer-encoding")?.lowercased() == "chunked" {
                while true {
                    let sizeLine = try readLine()
                    guard let size = Int(sizeLine.split(separator: ";")[0], radix: 16) else { throw Failure.malformed(sizeLine) }
                    if size == 0 {
                        while try !readLine().isEmpty {}
                        break
                    }
                    response.body += try readExactly(size)
                    _ = try readExactly(2)
                    response.chunkArrivals.append((nowMilliseconds(), size))
                }
            } else {
                while try fill() {}
                response.body = buffer
                buffer = []
            }
        } catch {
            partial?(response)
            throw error
        }
        return response
    }

    /// Reads one whole response.
    func readResponse() throws -> Response {
        try readBody(of: try readHead())
    }
}

/// Milliseconds on the monotonic clock.
func nowMilliseconds() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) * 1000 + Double(spec.tv_nsec) / 1_000_000
}
