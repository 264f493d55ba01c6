import BifrostHTTP
import BifrostIO
import BifrostTransport
import Foundation
import Logging
import Testing

@Suite("Gateway routes over a real socket")
struct RouteTests {
    /// Starts the gateway on 127.0.0.1:0, runs `body` with its port, stops it.
    private func withGateway(_ body: (Int) throws -> Void) throws {
        var config = GatewayConfig()
        config.eventLoops = 1
        let gateway = try Gateway(config: config, host: "127.0.0.1", port: 0, logger: Logger(label: "test"))
        try gateway.start()
        defer { gateway.stop() }
        try body(gateway.server.port)
    }

    /// One request with a fresh connection; returns status, headers block and body.
    private func request(_ port: Int, _ raw: String) throws -> (status: Int, head: String, body: String) {
        let handle = try FileHandleSocket(port: port)
        defer { handle.close() }
        try handle.write(raw)
        let text = handle.readAll()
        let parts = text.components(separatedBy: "\r\n\r\n")
        let head = parts[0]
        let status = Int(head.split(separator: " ")[1]) ?? 0
        return (status, head, parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    @Test func healthAnswersOk() throws {
        try withGateway { port in
            let response = try request(port, "GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            #expect(response.status == 200)
            #expect(response.body == #"{"status":"ok"}"#)
            #expect(response.head.contains("Content-Type: application/json"))
        }
    }

    @Test func unknownRouteIs404Json() throws {
        try withGateway { port in
            let response = try request(port, "GET /nope HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            #expect(response.status == 404)
            #expect(response.body.contains(#""type":"not_found""#))
            #expect(response.body.contains("/nope"))
        }
    }

    @Test func queryStringsAndPrefixRoutesFindTheirRoute() throws {
        try withGateway { port in
            #expect(try request(port, "GET /health?probe=1 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").status == 200)
            // A path that only starts like an exact route is not that route.
            #expect(try request(port, "GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").status == 404)
            // The GenAI prefix route owns the paths under it (and answers 405 for a GET with its own Allow).
            let genai = try request(port, "GET /genai/v1beta/models/gemini-pro:generateContent HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            #expect(genai.status == 405)
            #expect(genai.head.contains("Allow: POST"))
        }
    }

    @Test func wrongMethodIs405WithAllow() throws {
        try withGateway { port in
            let response = try request(port, "DELETE /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            #expect(response.status == 405)
            #expect(response.head.contains("Allow: GET, HEAD"))
            #expect(response.body.contains(#""status_code":405"#))
        }
    }
}

/// A minimal blocking socket for route tests: connect, write, read until the server closes.
final class FileHandleSocket {
    private let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if rc != 0 { throw CocoaError(.fileReadUnknown) }
    }

    func write(_ text: String) throws {
        let bytes = Array(text.utf8)
        guard send(fd, bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count else { throw CocoaError(.fileWriteUnknown) }
    }

    func readAll() -> String {
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &chunk, chunk.count, 0)
            if n <= 0 { break }
            data += chunk[0..<n]
        }
        return String(decoding: data, as: UTF8.self)
    }

    func close() { Glibc.close(fd) }
}
