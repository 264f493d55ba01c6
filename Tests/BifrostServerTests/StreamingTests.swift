import BifrostHTTP
import BifrostTestSupport
import Glibc
import Dispatch
import Synchronization
import Testing

extension LiveServerTests {
    @Suite("Streaming responses and backpressure")
    struct StreamingTests {
        @Test func streamedResponseIsChunkedAndConnectionIsReused() throws {
            let handler = ClosureHandler { _, responder in
                let writer = responder.startStream(HTTPResponseHead(status: .ok, headers: HTTPHeaders([("Content-Type", "text/event-stream")])))
                Task {
                    for index in 0..<3 { try await writer.write(Array("data: \(index)\n\n".utf8)) }
                    writer.finish()
                }
            }
            let server = try TestServer(handler: handler)
            let client = try server.client()
            for _ in 0..<2 {
                try client.send("GET /events HTTP/1.1\r\nHost: t\r\n\r\n")
                let response = try client.readResponse()
                #expect(response.header("transfer-encoding") == "chunked")
                #expect(response.bodyText == "data: 0\n\ndata: 1\n\ndata: 2\n\n")
            }
        }

        @Test func streamToHTTP10ClientIsCloseDelimited() throws {
            let handler = ClosureHandler { _, responder in
                let writer = responder.startStream(HTTPResponseHead(status: .ok))
                Task {
                    try await writer.write(Array("abc".utf8))
                    try await writer.write(Array("def".utf8))
                    writer.finish()
                }
            }
            let server = try TestServer(handler: handler)
            let client = try server.client()
            try client.send("GET / HTTP/1.0\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.header("transfer-encoding") == nil)
            #expect(response.bodyText == "abcdef")
        }

        @Test func slowClientSuspendsTheWriterInsteadOfBuffering() throws {
            let chunk = [UInt8](repeating: 0x61, count: 64 * 1024)
            // 16 MiB in all: far more than the kernel socket buffers (a few MiB) plus the 256 KiB high watermark.
            let chunks = 256
            let written = Counter()
            let finished = Flag()
            let handler = ClosureHandler { _, responder in
                let writer = responder.startStream(HTTPResponseHead(status: .ok))
                Task {
                    for _ in 0..<chunks {
                        try await writer.write(chunk)
                        written.increment()
                    }
                    writer.finish()
                    finished.set()
                }
            }
            let server = try TestServer(handler: handler)
            let client = try server.client(receiveBufferBytes: 4096)
            try client.send("GET /big HTTP/1.1\r\nHost: t\r\n\r\n")
            // The client reads nothing for a while: the writer must stall well before the end.
            usleep(400_000)
            let stalledAt = written.value
            #expect(stalledAt < chunks / 2, "writer ran ahead of a client that was not reading (\(stalledAt) of \(chunks) chunks)")
            let finishedEarly = finished.isSet
            #expect(!finishedEarly)
            let response = try client.readResponse()
            #expect(response.body.count == chunk.count * chunks)
            #expect(eventually { finished.isSet })
        }

        @Test func clientDisconnectCancelsTheHandler() throws {
            let cancelled = Flag()
            let writeFailed = Flag()
            let handler = ClosureHandler { _, responder in
                responder.onCancel { cancelled.set() }
                let writer = responder.startStream(HTTPResponseHead(status: .ok))
                Task {
                    do {
                        while true {
                            try await writer.write(Array("tick\n".utf8))
                            try await Task.sleep(for: .milliseconds(20))
                        }
                    } catch {
                        writeFailed.set()
                    }
                }
            }
            let server = try TestServer(handler: handler)
            do {
                let client = try server.client()
                try client.send("GET /forever HTTP/1.1\r\nHost: t\r\n\r\n")
                _ = try client.readHead()
            }  // the client closes here
            #expect(eventually { cancelled.isSet })
            #expect(eventually { writeFailed.isSet })
            #expect(eventually { server.server.openConnections == 0 })
        }
    }
}
