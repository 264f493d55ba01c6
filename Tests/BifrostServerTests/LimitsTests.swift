import BifrostHTTP
import BifrostTestSupport
import Glibc
import Testing

extension LiveServerTests {
    @Suite("Limits and bad input: clear errors, connection closed, others unaffected")
    struct LimitsTests {
        /// Sends `request`, expects `status` with a JSON error body of `type`, the connection closed,
        /// and the server still answering a fresh client.
        private func expectRejected(_ request: String, status: Int, type: String,
                                    configure: (inout HTTPServerConfiguration) -> Void = { _ in }) throws {
            let server = try TestServer(configure: configure)
            let client = try server.client()
            try client.send(request)
            let response = try client.readResponse()
            #expect(response.status == status)
            #expect(response.header("content-type") == "application/json")
            #expect(response.bodyText.contains("\"type\":\"\(type)\""))
            #expect(response.bodyText.contains("\"status_code\":\(status)"))
            #expect(response.header("connection") == "close")
            #expect(try client.waitForClose())

            let other = try server.client()
            try other.send("GET /still-up HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try other.readResponse().status == 200)
        }

        @Test func oversizedHeadersGet431() throws {
            let big = String(repeating: "a", count: 2000)
            try expectRejected("GET / HTTP/1.1\r\nHost: t\r\nX-Big: \(big)\r\n\r\n", status: 431, type: "header_too_large") {
                $0.parserLimits.maxHeadBytes = 1024
            }
        }

        @Test func tooManyHeadersGet431() throws {
            let many = (0..<20).map { "X-\($0): v\r\n" }.joined()
            try expectRejected("GET / HTTP/1.1\r\nHost: t\r\n\(many)\r\n", status: 431, type: "too_many_headers") {
                $0.parserLimits.maxHeaderCount = 10
            }
        }

        @Test func oversizedContentLengthGets413() throws {
            try expectRejected("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n", status: 413, type: "body_too_large") {
                $0.maxBodyBytes = 50
            }
        }

        @Test func oversizedChunkedBodyGets413() throws {
            let chunk = String(repeating: "z", count: 40)
            try expectRejected("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n28\r\n\(chunk)\r\n28\r\n\(chunk)\r\n0\r\n\r\n",
                               status: 413, type: "body_too_large") { $0.maxBodyBytes = 50 }
        }

        @Test func malformedRequestLineGets400() throws {
            try expectRejected("GET  / HTTP/1.1\r\nHost: t\r\n\r\n", status: 400, type: "malformed_request")
        }

        @Test func badChunkSizeGets400() throws {
            try expectRejected("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", status: 400, type: "invalid_chunked_body")
        }

        @Test func unsupportedVersionGets505() throws {
            try expectRejected("GET / HTTP/2.0\r\nHost: t\r\n\r\n", status: 505, type: "unsupported_version")
        }

        @Test func contentLengthWithTransferEncodingIsNotSmuggled() throws {
            // A smuggling attempt: the bytes after the head must never be served as a second request.
            let server = try TestServer()
            let client = try server.client()
            try client.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: t\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 400)
            #expect(response.bodyText.contains("conflicting_framing"))
            #expect(try client.waitForClose())
        }

        @Test func headerReadTimeoutAnswers408() throws {
            let server = try TestServer { $0.headerReadTimeout = 0.3 }
            let client = try server.client()
            try client.send("GET / HTTP/1.1\r\nHost: t\r\nX-Slow: ")  // slowloris: never finishes the head
            let response = try client.readResponse()
            #expect(response.status == 408)
            #expect(response.bodyText.contains("header_timeout"))
            #expect(try client.waitForClose())
        }

        @Test func bodyReadTimeoutAnswers408() throws {
            let server = try TestServer { $0.bodyReadTimeout = 0.3 }
            let client = try server.client()
            try client.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nonly a few bytes")
            let response = try client.readResponse()
            #expect(response.status == 408)
            #expect(response.bodyText.contains("body_timeout"))
        }

        @Test func idleKeepAliveConnectionIsClosed() throws {
            let server = try TestServer { $0.idleTimeout = 0.3 }
            let client = try server.client()
            try client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try client.readResponse().status == 200)
            #expect(try client.waitForClose())
            #expect(eventually { server.server.openConnections == 0 })
        }

        @Test func silentConnectionIsClosedAfterHeaderTimeout() throws {
            let server = try TestServer { $0.headerReadTimeout = 0.3 }
            let client = try server.client()
            #expect(try client.waitForClose())
        }

        @Test func connectionsOverTheLimitGet503AndExistingOnesKeepWorking() throws {
            let server = try TestServer { $0.maxConnections = 2 }
            let first = try server.client()
            let second = try server.client()
            for client in [first, second] {
                try client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
                #expect(try client.readResponse().status == 200)
            }
            let third = try server.client()
            let refused = try third.readResponse()
            #expect(refused.status == 503)
            #expect(refused.bodyText.contains("too_many_connections"))
            #expect(server.server.rejectedConnections == 1)
            for client in [first, second] {
                try client.send("GET /again HTTP/1.1\r\nHost: t\r\n\r\n")
                #expect(try client.readResponse().bodyText == "GET /again|")
            }
        }
    }
}
