import BifrostHTTP
import BifrostTestSupport
import Glibc
import Synchronization
import Testing

extension LiveServerTests {
    @Suite("Connections: keep-alive, pipelining, close, HEAD, 100-continue")
    struct KeepAliveTests {
        @Test func keepAliveConnectionServesSeveralRequests() throws {
            let server = try TestServer()
            let client = try server.client()
            for index in 0..<3 {
                try client.send("GET /r\(index) HTTP/1.1\r\nHost: t\r\n\r\n")
                let response = try client.readResponse()
                #expect(response.status == 200)
                #expect(response.bodyText == "GET /r\(index)|")
                #expect(response.header("connection") == nil)
            }
            #expect(server.server.openConnections == 1)
        }

        @Test func pipelinedRequestsAreAnsweredInOrder() throws {
            let server = try TestServer()
            let client = try server.client()
            try client.send("GET /a HTTP/1.1\r\nHost: t\r\n\r\nPOST /b HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nxyzGET /c HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try client.readResponse().bodyText == "GET /a|")
            #expect(try client.readResponse().bodyText == "POST /b|xyz")
            #expect(try client.readResponse().bodyText == "GET /c|")
        }

        @Test func pipelinedRequestsWaitForASlowResponse() throws {
            // The first request is answered later from another thread; the second must still come second.
            let handler = ClosureHandler { request, responder in
                if request.target == "/slow" {
                    after(0.2) { responder.send(HTTPResponse(status: .ok, body: Array("slow".utf8))) }
                } else {
                    responder.send(HTTPResponse(status: .ok, body: Array("fast".utf8)))
                }
            }
            let server = try TestServer(handler: handler)
            let client = try server.client()
            try client.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\nGET /fast HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try client.readResponse().bodyText == "slow")
            #expect(try client.readResponse().bodyText == "fast")
        }

        @Test func connectionCloseIsHonoured() throws {
            let server = try TestServer()
            let client = try server.client()
            try client.send("GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.header("connection") == "close")
            #expect(try client.waitForClose())
        }

        @Test func http10ClosesByDefaultAndKeepsAliveWhenAsked() throws {
            let server = try TestServer()
            let keepAlive = try server.client()
            try keepAlive.send("GET /1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            #expect(try keepAlive.readResponse().header("connection") == "keep-alive")
            try keepAlive.send("GET /2 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            #expect(try keepAlive.readResponse().bodyText == "GET /2|")

            let plain = try server.client()
            try plain.send("GET / HTTP/1.0\r\n\r\n")
            #expect(try plain.readResponse().header("connection") == "close")
            #expect(try plain.waitForClose())
        }

        @Test func headResponseHasLengthButNoBody() throws {
            let server = try TestServer()
            let client = try server.client()
            try client.send("HEAD /x HTTP/1.1\r\nHost: t\r\n\r\nGET /after HTTP/1.1\r\nHost: t\r\n\r\n")
            let head = try client.readResponse(head: true)
            #expect(head.status == 200)
            #expect(head.header("content-length") == "\("HEAD /x|".utf8.count)")
            // If a body had been sent, this read would see it instead of the next response.
            #expect(try client.readResponse().bodyText == "GET /after|")
        }

        @Test func expectContinueGetsInterimResponseBeforeBody() throws {
            let server = try TestServer()
            let client = try server.client()
            try client.send("POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
            let interim = try client.readHead()
            #expect(interim.status == 100)
            try client.send("hello")
            let response = try client.readResponse()
            #expect(response.bodyText == "POST /up|hello")
        }

        @Test func expectContinueWithOversizedBodyIsRefusedWithout100() throws {
            let server = try TestServer { $0.maxBodyBytes = 10 }
            let client = try server.client()
            try client.send("POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\nExpect: 100-continue\r\n\r\n")
            let response = try client.readHead()
            #expect(response.status == 413)
        }

        @Test func chunkedRequestBodyWithExtensionsAndTrailersIsDecoded() throws {
            let server = try TestServer()
            let client = try server.client()
            try client.send("POST /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: yes\r\n\r\n")
            #expect(try client.readResponse().bodyText == "POST /c|hello world")
            try client.send("GET /next HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try client.readResponse().bodyText == "GET /next|")
        }

        @Test func requestSplitAcrossManyWritesIsAssembled() throws {
            let server = try TestServer()
            let client = try server.client()
            let request = Array("POST /slow HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nabcd".utf8)
            for byte in request {
                try client.send([byte])
                usleep(500)
            }
            #expect(try client.readResponse().bodyText == "POST /slow|abcd")
        }
    }
}
