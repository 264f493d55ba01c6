import BifrostHTTP
import BifrostIO
import BifrostTLS
import BifrostTestSupport
import Foundation
import Glibc
import Testing

@Suite("HTTP client: requests, keep-alive, TLS, bodies, timeouts, cancellation")
struct HTTPClientTests {
    @Test func plainGetReturnsStatusHeadersAndBody() async throws {
        let server = try TestServer()
        let client = try TestHTTPClient()
        let (response, body) = try await client.get("http://127.0.0.1:\(server.port)/hello?x=1")
        #expect(response.status.code == 200)
        #expect(response.headers["content-type"] == "text/plain")
        #expect(body == "GET /hello?x=1|")
    }

    @Test func postSendsTheBodyWithContentLength() async throws {
        let server = try TestServer()
        let client = try TestHTTPClient()
        let request = try HTTPClientRequest(method: "POST", url: "http://127.0.0.1:\(server.port)/p",
                                            headers: HTTPHeaders([("Content-Type", "application/json")]), body: Array("{\"a\":1}".utf8))
        let response = try await client.client.execute(request)
        #expect(String(decoding: try await response.body.collect(), as: UTF8.self) == "POST /p|{\"a\":1}")
    }

    @Test func sequentialRequestsReuseOneConnection() async throws {
        let server = try TestServer()
        let client = try TestHTTPClient()
        for index in 0..<5 {
            let (_, body) = try await client.get("http://127.0.0.1:\(server.port)/\(index)")
            #expect(body == "GET /\(index)|")
        }
        #expect(server.server.acceptedConnections == 1)
        #expect(await client.client.connectionsOpened() == 1)
    }

    @Test func httpsWithTheTestCAVerifiesAndReusesTheConnection() async throws {
        let certificates = TestCertificates.shared
        let server = try TestServer(tls: try serverTLS(certificates.serverCertificate, certificates.serverKey))
        let client = try TestHTTPClient()
        for host in ["localhost", "127.0.0.1", "localhost"] {
            let (response, body) = try await client.get("https://\(host):\(server.port)/secure")
            #expect(response.status.code == 200)
            #expect(body == "GET /secure|")
        }
        // Two origins (localhost, 127.0.0.1): two connections, the second localhost request reused the first.
        #expect(server.server.acceptedConnections == 2)
    }

    @Test func repeatConnectionsResumeTheTLSSession() async throws {
        let certificates = TestCertificates.shared
        let handler = ClosureHandler { _, responder in
            responder.send(HTTPResponse(status: .ok, headers: HTTPHeaders([("Connection", "close")]), body: Array("x".utf8)))
        }
        let server = try TestServer(handler: handler, tls: try serverTLS(certificates.serverCertificate, certificates.serverKey))
        let client = try TestHTTPClient()
        for _ in 0..<3 { _ = try await client.get("https://localhost:\(server.port)/") }
        #expect(server.server.acceptedConnections == 3)
        #expect(await client.client.resumedHandshakes() == 2)
    }

    @Test func ipv6LoopbackWorks() async throws {
        let server = try TestServer { $0.host = "::1" }
        let client = try TestHTTPClient()
        let (_, body) = try await client.get("http://[::1]:\(server.port)/six")
        #expect(body == "GET /six|")
    }

    @Test(arguments: ["untrusted CA", "expired", "wrong host"])
    func badCertificatesFailWithTLSVerify(_ problem: String) async throws {
        let certificates = TestCertificates.shared
        let (certificate, key) = switch problem {
        case "untrusted CA": (certificates.untrustedCertificate, certificates.untrustedKey)
        case "expired": (certificates.expiredCertificate, certificates.expiredKey)
        default: (certificates.wrongHostCertificate, certificates.wrongHostKey)
        }
        let server = try TestServer(tls: try serverTLS(certificate, key))
        let client = try TestHTTPClient()
        let error = await expectClientError(.tlsVerify) { _ = try await client.get("https://localhost:\(server.port)/") }
        #expect(error?.host == "localhost:\(server.port)")
        #expect(error?.message.contains("verif") == true)
    }

    @Test func verificationCanBeDisabledExplicitly() async throws {
        let certificates = TestCertificates.shared
        let server = try TestServer(tls: try serverTLS(certificates.untrustedCertificate, certificates.untrustedKey))
        let client = try TestHTTPClient { $0.tls.verifyPeer = false }
        let (response, _) = try await client.get("https://localhost:\(server.port)/")
        #expect(response.status.code == 200)
    }

    @Test func poolCapLimitsConnectionsPerOrigin() async throws {
        let handler = ClosureHandler { _, responder in
            after(0.1) { responder.send(HTTPResponse(status: .ok, body: Array("ok".utf8))) }
        }
        let server = try TestServer(handler: handler)
        let client = try TestHTTPClient { $0.maxConnectionsPerOrigin = 2 }
        let url = "http://127.0.0.1:\(server.port)/slow"
        try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<6 { group.addTask { try await client.get(url).1 } }
            for try await body in group { #expect(body == "ok") }
        }
        #expect(server.server.acceptedConnections == 2)
    }

    @Test func chunkedResponseIsDecodedAndStreamedAsItArrives() async throws {
        let secondSent = Flag()
        let release = Flag()
        let handler = ClosureHandler { _, responder in
            let writer = responder.startStream(HTTPResponseHead(status: .ok))
            Task {
                try await writer.write(Array("first ".utf8))
                while !release.isSet { try await Task.sleep(for: .milliseconds(5)) }
                secondSent.set()
                try await writer.write(Array("second".utf8))
                writer.finish()
            }
        }
        let server = try TestServer(handler: handler)
        let client = try TestHTTPClient()
        let response = try await client.client.execute(try HTTPClientRequest(url: "http://127.0.0.1:\(server.port)/s"))
        var iterator = response.body.makeAsyncIterator()
        let first = try await iterator.next()
        #expect(first.map { String(decoding: $0, as: UTF8.self) } == "first ")
        #expect(!secondSent.isSet, "the first chunk must arrive before the server sends the second")
        release.set()
        var rest: [UInt8] = []
        while let chunk = try await iterator.next() { rest += chunk }
        #expect(String(decoding: rest, as: UTF8.self) == "second")
    }

    @Test func gzipBodyIsDecoded() async throws {
        let text = String(repeating: "{\"choices\":[{\"text\":\"hello\"}]}", count: 50)
        let compressed = try gzipped(text)
        let requestedEncoding = Counter()
        let handler = ClosureHandler { request, responder in
            if request.headers["accept-encoding"]?.contains("gzip") == true { requestedEncoding.increment() }
            responder.send(HTTPResponse(status: .ok, headers: HTTPHeaders([("Content-Encoding", "gzip")]), body: compressed))
        }
        let server = try TestServer(handler: handler)
        let client = try TestHTTPClient()
        let (response, body) = try await client.get("http://127.0.0.1:\(server.port)/gz")
        #expect(body == text)
        #expect(response.headers["content-encoding"] == nil)
        #expect(requestedEncoding.value == 1)
    }

    @Test func corruptGzipIsAProtocolError() async throws {
        let handler = ClosureHandler { _, responder in
            responder.send(HTTPResponse(status: .ok, headers: HTTPHeaders([("Content-Encoding", "gzip")]), body: Array("not gzip at all".utf8)))
        }
        let server = try TestServer(handler: handler)
        let client = try TestHTTPClient()
        await expectClientError(.protocol) { _ = try await client.get("http://127.0.0.1:\(server.port)/") }
    }

    @Test func missingResponseHeadersTimeOut() async throws {
        let server = try TestServer(handler: ClosureHandler { _, _ in })  // never answers
        let client = try TestHTTPClient()
        var timeouts = HTTPClientTimeouts()
        timeouts.responseHeaders = 0.2
        let error = await expectClientError(.timeoutHeaders) {
            _ = try await client.get("http://127.0.0.1:\(server.port)/", timeouts: timeouts)
        }
        #expect(error?.message.contains("127.0.0.1:\(server.port)") == true)
    }

    @Test func stalledBodyTimesOutAsIdle() async throws {
        let handler = ClosureHandler { _, responder in
            let writer = responder.startStream(HTTPResponseHead(status: .ok))
            Task { try await writer.write(Array("data: 1\n\n".utf8)) }  // then silence
        }
        let server = try TestServer(handler: handler)
        let client = try TestHTTPClient()
        var timeouts = HTTPClientTimeouts()
        timeouts.idleBetweenChunks = 0.2
        await expectClientError(.timeoutIdle) { _ = try await client.get("http://127.0.0.1:\(server.port)/", timeouts: timeouts) }
    }

    @Test func totalDeadlineCoversTheWholeExchange() async throws {
        let handler = ClosureHandler { _, responder in
            after(2) { responder.send(HTTPResponse(status: .ok)) }
        }
        let server = try TestServer(handler: handler)
        let client = try TestHTTPClient()
        var timeouts = HTTPClientTimeouts()
        timeouts.total = 0.2
        await expectClientError(.timeoutTotal) { _ = try await client.get("http://127.0.0.1:\(server.port)/", timeouts: timeouts) }
    }

    @Test func tlsHandshakeThatNeverCompletesTimesOut() async throws {
        // A listening socket that is never accepted: TCP connects (the kernel's backlog), TLS never answers.
        let listener = try Socket.listen(host: "127.0.0.1", port: 0, reusePort: false)
        defer { closeDescriptor(listener.fd) }
        let client = try TestHTTPClient()
        var timeouts = HTTPClientTimeouts()
        timeouts.tlsHandshake = 0.2
        await expectClientError(.tlsHandshake) { _ = try await client.get("https://127.0.0.1:\(listener.port)/", timeouts: timeouts) }
    }

    @Test func connectThatNeverCompletesTimesOut() async throws {
        // A listener whose accept queue is full: the kernel drops further SYNs, so connect hangs.
        let listener = try Socket.listen(host: "127.0.0.1", port: 0, backlog: 0, reusePort: false)
        defer { closeDescriptor(listener.fd) }
        let fillers = (0..<3).map { _ in startConnect(port: listener.port) }
        defer { fillers.forEach { close($0) } }
        let client = try TestHTTPClient()
        var timeouts = HTTPClientTimeouts()
        timeouts.connect = 0.3
        let error = await expectClientError(.connect) { _ = try await client.get("http://127.0.0.1:\(listener.port)/", timeouts: timeouts) }
        #expect(error?.message.contains("timed out") == true)
    }

    @Test func refusedConnectionIsAConnectError() async throws {
        let probe = try Socket.listen(host: "127.0.0.1", port: 0, reusePort: false)
        closeDescriptor(probe.fd)  // the port is now closed
        let client = try TestHTTPClient()
        let error = await expectClientError(.connect) { _ = try await client.get("http://127.0.0.1:\(probe.port)/") }
        #expect(error?.message.contains("refused") == true)
    }

    @Test func unknownHostIsADNSError() async throws {
        let client = try TestHTTPClient()
        let error = await expectClientError(.dns) { _ = try await client.get("https://no-such-host.invalid/v1/chat/completions") }
        #expect(error?.message.contains("no-such-host.invalid") == true)
    }

    @Test func resetMidBodyIsAResetError() async throws {
        let handler = ClosureHandler { _, responder in
            let writer = responder.startStream(HTTPResponseHead(status: .ok))
            Task {
                try await writer.write(Array("partial".utf8))
                try await Task.sleep(for: .milliseconds(50))
                responder.abort()
            }
        }
        let server = try TestServer(handler: handler)
        let client = try TestHTTPClient()
        await expectClientError(.reset) { _ = try await client.get("http://127.0.0.1:\(server.port)/") }
    }

    @Test func cancellingTheTaskAbortsTheUpstreamRequest() async throws {
        let serverSawCancel = Flag()
        let handler = ClosureHandler { _, responder in
            responder.onCancel { serverSawCancel.set() }  // never answers
        }
        let server = try TestServer(handler: handler)
        let client = try TestHTTPClient()
        let url = "http://127.0.0.1:\(server.port)/hang"
        let task = Task { try await client.get(url) }
        try await Task.sleep(for: .milliseconds(100))
        task.cancel()
        await expectClientError(.cancelled) { _ = try await task.value }
        #expect(eventually { serverSawCancel.isSet })
        let origin = HTTPOrigin(secure: false, host: "127.0.0.1", port: server.port)
        #expect(await client.client.openConnections(to: origin) == 0)
    }

    @Test func abandonedBodyClosesTheConnectionInsteadOfReusingIt() async throws {
        let handler = ClosureHandler { request, responder in
            if request.target == "/big" {
                // A body that is still arriving when the caller drops it (one chunk, never finished):
                // a body that had fully arrived would leave a reusable connection.
                let writer = responder.startStream(HTTPResponseHead(status: .ok))
                Task { try? await writer.write([UInt8](repeating: 0x61, count: 1 << 16)) }
            } else {
                responder.send(HTTPResponse(status: .ok, body: Array("small".utf8)))
            }
        }
        let server = try TestServer(handler: handler)
        let client = try TestHTTPClient()
        do {
            let response = try await client.client.execute(try HTTPClientRequest(url: "http://127.0.0.1:\(server.port)/big"))
            #expect(response.status.code == 200)
        }  // body never read
        let (_, body) = try await client.get("http://127.0.0.1:\(server.port)/after")
        #expect(body == "small")
        #expect(server.server.acceptedConnections == 2)
    }

    @Test func keepAliveConnectionClosedByTheServerIsNotReusedBlindly() async throws {
        let server = try TestServer { $0.idleTimeout = 0.1 }
        let client = try TestHTTPClient()
        _ = try await client.get("http://127.0.0.1:\(server.port)/one")
        try await Task.sleep(for: .milliseconds(400))  // the server closes the idle connection
        let (_, body) = try await client.get("http://127.0.0.1:\(server.port)/two")
        #expect(body == "GET /two|")
        #expect(server.server.acceptedConnections == 2)
    }
}
