import Glibc

/// A blocking HTTP/1.1 test client over a real TCP socket, with a receive timeout so a broken
/// server fails the test instead of hanging it. Call it from a Dispatch thread or a synchronous
/// test, never from the Swift cooperative pool a server under test may need.
public final class TestClient {
    /// The connected socket.
    public let fd: Int32
    private var buffer: [UInt8] = []

    /// A response head, and its body once read.
    public struct Response: Sendable {
        public var status: Int
        public var headers: [(String, String)]
        public var body: [UInt8]
        /// For chunked bodies: when each chunk finished arriving (``nowMilliseconds()``) and its size.
        public var chunkArrivals: [(milliseconds: Double, bytes: Int)] = []
        /// The body decoded as UTF-8.
        public var bodyText: String { String(decoding: body, as: UTF8.self) }
        /// The first header named `name`, compared case-insensitively.
        public func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }
    }

    /// Why connecting or reading failed.
    public enum Failure: Error, CustomStringConvertible, Equatable {
        /// `connect` failed with this errno.
        case connect(Int32)
        /// EOF before the response was complete (or a failed send).
        case closed
        /// The peer reset the connection (`ECONNRESET`) while reading.
        case reset
        /// Nothing arrived within the receive timeout.
        case timeout
        /// The response did not parse; carries the offending line.
        case malformed(String)
        public var description: String {
            switch self {
            case .connect(let code): "connect failed: errno \(code)"
            case .closed: "connection closed by server"
            case .reset: "connection reset by server"
            case .timeout: "timed out waiting for the server"
            case .malformed(let what): "malformed response: \(what)"
            }
        }
    }

    /// Connects to 127.0.0.1:`port`. `receiveBufferBytes` shrinks `SO_RCVBUF` so a large response
    /// backs up into the server.
    public init(port: Int, timeoutSeconds: Int = 5, receiveBufferBytes: Int32? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if var size = receiveBufferBytes {
            // Set before connect so the advertised window stays small and a large response backs up into the server.
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
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

    /// The text of a request; a `body` goes with `Content-Type` and `Content-Length`.
    public static func request(_ method: String, _ path: String, body: String? = nil,
                               contentType: String = "application/json", headers: [(String, String)] = []) -> String {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: test\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if let body {
            text += "Content-Type: \(contentType)\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
        } else {
            text += "\r\n"
        }
        return text
    }

    /// Sends all of `text` as UTF-8.
    public func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// Sends all of `bytes`; throws ``Failure/closed`` when the connection is gone.
    public func send(_ bytes: [UInt8]) throws {
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

    /// Reads one response head (status line and headers).
    public func readHead() throws -> Response {
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
            headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: " ")))
        }
        return Response(status: status, headers: headers, body: [])
    }

    /// Reads the body of a response whose head was read with ``readHead()``: by `Content-Length`,
    /// chunked (recording ``Response/chunkArrivals``), or up to EOF. A 204 or 304 has none.
    /// When the body breaks off, `partial` receives what arrived before the error is rethrown.
    public func readBody(of head: Response, partial: ((Response) -> Void)? = nil) throws -> Response {
        var response = head
        if response.status == 204 || response.status == 304 { return response }
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

    /// Reads one whole response, skipping a `100 Continue`. `head: true` for the response to a
    /// HEAD request (no body).
    public func readResponse(head: Bool = false) throws -> Response {
        var response = try readHead()
        if response.status == 100 { response = try readHead() }
        return head ? response : try readBody(of: response)
    }

    /// True when the server closed the connection (EOF or reset) within the receive timeout,
    /// after discarding anything it still sent.
    public func waitForClose() throws -> Bool {
        buffer = []
        do {
            while try fill() { buffer = [] }
            return true
        } catch Failure.reset {
            return true
        } catch Failure.timeout {
            return false
        }
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: Character) -> String {
        var view = Substring(self)
        while view.first == set { view.removeFirst() }
        while view.last == set { view.removeLast() }
        return String(view)
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: Character) -> String { String(self).trimmingCharacters(in: set) }
}
