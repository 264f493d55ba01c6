import BifrostHTTP
import BifrostTestSupport
import Glibc
import Synchronization
import Testing

extension LiveServerTests {
    @Suite("Graceful shutdown")
    struct ShutdownTests {
        @Test func inFlightRequestCompletesDuringShutdown() throws {
            let handler = ClosureHandler { _, responder in
                after(0.3) { responder.send(HTTPResponse(status: .ok, body: Array("done".utf8))) }
            }
            // A short linger: the answered connection waits for the client's FIN at most this long.
            let server = try TestServer(configure: { $0.lingerTimeout = 0.3 }, handler: handler)
            let busy = try server.client()
            let idle = try server.client()
            try idle.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
            _ = try idle.readResponse()
            try busy.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")
            usleep(50_000)

            let stopped = Flag()
            let http = server.server
            after(0) {
                http.shutdown(gracePeriod: 5)
                stopped.set()
            }
            // The idle keep-alive connection is closed at once; the busy one gets its answer.
            #expect(try idle.waitForClose())
            let response = try busy.readResponse()
            #expect(response.bodyText == "done")
            #expect(response.header("connection") == "close")
            #expect(try busy.waitForClose())
            #expect(eventually { stopped.isSet })
            // No longer accepting.
            #expect(throws: TestClient.Failure.self) { try TestClient(port: server.port) }
        }

        @Test func requestsStillRunningAfterTheGracePeriodAreCancelled() throws {
            let cancelled = Flag()
            let handler = ClosureHandler { _, responder in
                responder.onCancel { cancelled.set() }  // never answers
            }
            let server = try TestServer(handler: handler)
            let client = try server.client()
            try client.send("GET /hang HTTP/1.1\r\nHost: t\r\n\r\n")
            usleep(50_000)
            server.server.shutdown(gracePeriod: 0.2)
            let wasCancelled = cancelled.isSet
            #expect(wasCancelled)
            #expect(server.server.openConnections == 0)
            #expect(try client.waitForClose())
        }
    }
}
