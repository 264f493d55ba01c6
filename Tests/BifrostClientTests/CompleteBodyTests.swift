import BifrostHTTP
import BifrostTestSupport
import Testing

/// A response whose whole body arrives with its head is handed over in one piece, without a body
/// stream; one that does not is streamed as before.
@Suite("HTTP client: bodies that arrive with their head")
struct CompleteBodyTests {
    static let bigBody = (0..<1_000_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }

    /// Just over the 256 KiB a body stream buffers before the connection stops reading.
    static let overWatermark = [UInt8](repeating: 0x61, count: 257 * 1024)

    /// "small" for any path but `/big`, which answers a 1 MB body with a Content-Length, and
    /// `/over-watermark`.
    static func server() throws -> TestServer {
        try TestServer(handler: ClosureHandler { request, responder in
            let body = request.target == "/big" ? bigBody : request.target == "/over-watermark" ? overWatermark : Array("small".utf8)
            responder.send(HTTPResponse(status: .ok, body: body))
        })
    }

    @Test func iteratingAWholeBodyYieldsItOnce() async throws {
        let server = try Self.server()
        let client = try TestHTTPClient()
        let response = try await client.client.execute(try HTTPClientRequest(url: "http://127.0.0.1:\(server.port)/"))
        var chunks: [[UInt8]] = []
        for try await chunk in response.body { chunks.append(chunk) }
        #expect(chunks == [Array("small".utf8)])
    }

    @Test func maxBytesAppliesToAWholeBodyAndTheConnectionIsStillReused() async throws {
        let server = try Self.server()
        let client = try TestHTTPClient()
        let error = await expectClientError(.protocol) {
            let response = try await client.client.execute(try HTTPClientRequest(url: "http://127.0.0.1:\(server.port)/"))
            _ = try await response.body.collect(maxBytes: 3)
        }
        #expect(error?.description.contains("exceeds 3 bytes") == true, "\(String(describing: error))")
        let (_, body) = try await client.get("http://127.0.0.1:\(server.port)/again")
        #expect(body == "small")
        #expect(server.server.acceptedConnections == 1)
    }

    @Test func aBodyLargerThanOneReadIsStreamedWhole() async throws {
        let server = try Self.server()
        let client = try TestHTTPClient()
        for _ in 0..<2 {
            let response = try await client.client.execute(try HTTPClientRequest(url: "http://127.0.0.1:\(server.port)/big"))
            let body = try await response.body.collect()
            #expect(body.count == Self.bigBody.count)
            #expect(body.elementsEqual(Self.bigBody))
        }
        #expect(server.server.acceptedConnections == 1)
    }

    @Test func aBodyThatEndsWhileReadingIsPausedLeavesTheConnectionReusable() async throws {
        let server = try Self.server()
        let client = try TestHTTPClient()
        for _ in 0..<3 {
            let response = try await client.client.execute(try HTTPClientRequest(url: "http://127.0.0.1:\(server.port)/over-watermark"))
            // Not reading yet: the stream fills past its limit with the body's last bytes, so reading
            // is paused when the body ends.
            try await Task.sleep(for: .milliseconds(100))
            #expect(try await response.body.collect().count == Self.overWatermark.count)
        }
        #expect(server.server.acceptedConnections == 1)
    }

    @Test func droppingAWholeBodyUnreadKeepsTheConnection() async throws {
        let server = try Self.server()
        let client = try TestHTTPClient()
        do {
            let response = try await client.client.execute(try HTTPClientRequest(url: "http://127.0.0.1:\(server.port)/"))
            #expect(response.status.code == 200)
        }  // body never read: it had all arrived, so nothing is left on the connection
        let (_, body) = try await client.get("http://127.0.0.1:\(server.port)/after")
        #expect(body == "small")
        #expect(server.server.acceptedConnections == 1)
    }
}
