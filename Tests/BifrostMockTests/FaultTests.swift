import BifrostMock
import BifrostTestSupport
import Foundation
import Testing

extension MockLiveTests {
    @Suite("Fault injection")
    struct FaultTests {
        private let chat = #"{"model":"gpt-4o","messages":[{"role":"user","content":"Hi"}]}"#
        private let chatStream = #"{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"Hi"}]}"#

        @Test func statusFaultFromTheHeaderUsesTheOpenAIShape() async throws {
            let server = try MockTestServer()
            let response = try await server.request("/v1/chat/completions", json: chat, headers: [("x-mock-fault", "status-503")])
            #expect(response.status == 503)
            let error = try #require(try jsonObject(response.body)["error"] as? [String: Any])
            #expect(error["type"] as? String == "server_error")
            #expect(error["message"] is String)
        }

        @Test func statusFaultFromTheModelUsesTheAnthropicShapeOnMessages() async throws {
            let server = try MockTestServer()
            let response = try await server.request("/v1/messages", json: #"{"model":"mock-fault-status-529","messages":[]}"#)
            #expect(response.status == 529)
            let body = try jsonObject(response.body)
            #expect(body["type"] as? String == "error")
            #expect((body["error"] as? [String: Any])?["type"] as? String == "overloaded_error")
        }

        @Test func rateLimitFaultSendsRetryAfter() async throws {
            let server = try MockTestServer()
            let openAI = try await server.request("/v1/chat/completions", json: chat, headers: [("x-mock-fault", "429")])
            #expect(openAI.status == 429)
            #expect(openAI.header("retry-after") == "1")
            #expect((try jsonObject(openAI.body)["error"] as? [String: Any])?["code"] as? String == "rate_limit_exceeded")

            let anthropic = try await server.request("/v1/messages", json: #"{"model":"mock-fault-429"}"#)
            #expect(anthropic.status == 429)
            #expect(anthropic.header("retry-after") == "1")
            #expect((try jsonObject(anthropic.body)["error"] as? [String: Any])?["type"] as? String == "rate_limit_error")
        }

        @Test(arguments: [false, true])
        func resetBreaksTheConnectionMidBody(streaming: Bool) async throws {
            let server = try MockTestServer()
            let raw = TestClient.request("POST", "/v1/chat/completions", body: streaming ? chatStream : chat,
                                             headers: [("x-mock-fault", "reset")])
            let (status, error, partial) = try await server.withClient { client -> (Int, TestClient.Failure?, Int) in
                try client.send(raw)
                let head = try client.readHead()
                nonisolated(unsafe) var received = 0
                do {
                    _ = try client.readBody(of: head) { received = $0.body.count }
                    return (head.status, nil, received)
                } catch let failure as TestClient.Failure {
                    return (head.status, failure, received)
                }
            }
            #expect(status == 200)
            #expect(error == .reset || error == .closed, "the body must break off, got \(String(describing: error))")
            #expect(partial > 0, "part of the body arrives before the reset")
        }

        @Test func stallHeadersDelaysTheWholeResponse() async throws {
            let server = try MockTestServer()
            let start = nowMilliseconds()
            let response = try await server.request("/v1/chat/completions", json: chat,
                                                    headers: [("x-mock-fault", "stall-headers"), ("x-mock-stall-ms", "300")])
            let elapsed = nowMilliseconds() - start
            #expect(response.status == 200)
            #expect(elapsed >= 300, "answered after \(elapsed) ms")
            #expect(try jsonObject(response.body)["object"] as? String == "chat.completion")
        }

        @Test func stallStreamSendsTheFirstEventThenStalls() async throws {
            let server = try MockTestServer()
            let raw = TestClient.request("POST", "/v1/chat/completions", body: chatStream,
                                             headers: [("x-mock-fault", "stall-stream"), ("x-mock-stall-ms", "300")])
            let (response, start) = try await server.withClient { client in
                let start = nowMilliseconds()
                try client.send(raw)
                return (try client.readResponse(), start)
            }
            let arrivals = response.chunkArrivals.map(\.milliseconds)
            #expect(arrivals.count >= 3)
            #expect(arrivals[0] - start < 250, "the first event comes at once")
            #expect(arrivals[1] - arrivals[0] >= 250, "then a stall (\(arrivals[1] - arrivals[0]) ms)")
            let first = try jsonObject(Array(try #require(serverSentData(response.body).first).utf8))
            #expect(first["object"] as? String == "chat.completion.chunk")
            #expect(serverSentData(response.body).last == "[DONE]")
        }

        @Test func stallStreamOnAJSONRouteStallsMidBody() async throws {
            let server = try MockTestServer()
            let response = try await server.request("/v1/embeddings", json: #"{"model":"e","input":"x"}"#,
                                                    headers: [("x-mock-fault", "stall-stream"), ("x-mock-stall-ms", "200")])
            #expect(response.chunkArrivals.count == 2)
            let gap = response.chunkArrivals[1].milliseconds - response.chunkArrivals[0].milliseconds
            #expect(gap >= 150)
            #expect(try jsonObject(response.body)["object"] as? String == "list")
        }

        @Test func malformedJSONDoesNotParse() async throws {
            let server = try MockTestServer()
            let response = try await server.request("/v1/chat/completions", json: #"{"model":"mock-fault-malformed-json"}"#)
            #expect(response.status == 200)
            #expect(response.header("content-type") == "application/json")
            #expect(!response.body.isEmpty)
            #expect(throws: (any Error).self) { try JSONSerialization.jsonObject(with: Data(response.body)) }

            let anthropic = try await server.request("/v1/messages", json: #"{"model":"m"}"#, headers: [("x-mock-fault", "malformed-json")])
            #expect(throws: (any Error).self) { try JSONSerialization.jsonObject(with: Data(anthropic.body)) }
        }

        @Test func malformedJSONInAStreamBreaksTheFirstEvent() async throws {
            let server = try MockTestServer()
            let response = try await server.request("/v1/chat/completions", json: chatStream, headers: [("x-mock-fault", "malformed-json")])
            let data = serverSentData(response.body)
            #expect(data.last == "[DONE]")
            #expect(throws: (any Error).self) { try JSONSerialization.jsonObject(with: Data(data[0].utf8)) }
            #expect(try jsonObject(Array(data[1].utf8))["object"] as? String == "chat.completion.chunk")
        }

        @Test(arguments: [("gzip", Int32(31)), ("deflate", Int32(15))])
        func compressedBodiesInflateToValidJSON(fault: String, windowBits: Int32) async throws {
            let server = try MockTestServer()
            let response = try await server.request("/v1/chat/completions", json: chat, headers: [("x-mock-fault", fault)])
            #expect(response.status == 200)
            #expect(response.header("content-encoding") == fault)
            #expect(response.header("content-type") == "application/json")
            let body = try jsonObject(try inflate(response.body, windowBits: windowBits))
            #expect(body["model"] as? String == "gpt-4o")
            #expect(body["object"] as? String == "chat.completion")
        }

        @Test func gzipStreamInflatesToTheEventStream() async throws {
            let server = try MockTestServer()
            let response = try await server.request("/v1/messages", json: #"{"model":"claude","stream":true}"#,
                                                    headers: [("x-mock-fault", "gzip")])
            #expect(response.header("content-encoding") == "gzip")
            let events = serverSentEvents(try inflate(response.body, windowBits: 31))
            #expect(events.first?.first?.value == "message_start")
            #expect(events.last?.first?.value == "message_stop")
        }

        @Test func slowDripSpacesTheEvents() async throws {
            let server = try MockTestServer()
            let response = try await server.request("/v1/chat/completions", json: chatStream,
                                                    headers: [("x-mock-fault", "slow-drip"), ("x-mock-drip-ms", "60"), ("x-mock-chunks", "3")])
            let data = serverSentData(response.body)
            // Role, 3 deltas, finish, [DONE]: six events, each its own chunk.
            #expect(data.count == 6)
            #expect(data.last == "[DONE]")
            let arrivals = response.chunkArrivals.map(\.milliseconds)
            #expect(arrivals.count == 6)
            let gaps = zip(arrivals.dropFirst(), arrivals).map { $0 - $1 }
            #expect(gaps.allSatisfy { $0 >= 45 }, "gaps: \(gaps)")
            #expect(arrivals.last! - arrivals.first! >= 300)
        }

        @Test func slowDripFromTheModelNameForcesAStream() async throws {
            let server = try MockTestServer()
            let response = try await server.request("/v1/messages", json: #"{"model":"mock-fault-slow-drip"}"#,
                                                    headers: [("x-mock-drip-ms", "10")])
            #expect(response.header("content-type") == "text/event-stream")
            let events = serverSentEvents(response.body)
            #expect(events.count == response.chunkArrivals.count)
            #expect(events.last?.first?.value == "message_stop")
        }

        @Test func unknownFaultsAndBadKnobsAre400() async throws {
            let server = try MockTestServer()
            for headers in [[("x-mock-fault", "explode")], [("x-mock-latency-ms", "soon")], [("x-mock-chunks", "0")]] {
                let response = try await server.request("/v1/chat/completions", json: chat, headers: headers)
                #expect(response.status == 400)
                #expect((try jsonObject(response.body)["error"] as? [String: Any])?["message"] is String)
            }
            let byModel = try await server.request("/v1/messages", json: #"{"model":"mock-fault-explode"}"#)
            #expect(byModel.status == 400)
            #expect(try jsonObject(byModel.body)["type"] as? String == "error")
        }

        @Test func chunksHeaderSplitsAJSONBody() async throws {
            let server = try MockTestServer()
            let response = try await server.request("/v1/chat/completions", json: chat, headers: [("x-mock-chunks", "5")])
            #expect(response.header("transfer-encoding") == "chunked")
            #expect(response.chunkArrivals.count == 5)
            #expect(try jsonObject(response.body)["object"] as? String == "chat.completion")
        }
    }
}
