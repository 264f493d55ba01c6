import BifrostMock
import BifrostTestSupport
import Foundation
import Testing

extension MockLiveTests {
    @Suite("Latency and statistics")
    struct LatencyAndStatisticsTests {
        private let chat = #"{"model":"gpt-4o","messages":[]}"#

        @Test func latencyHeaderDelaysTheResponse() async throws {
            let server = try MockTestServer()
            let start = nowMilliseconds()
            let response = try await server.request("/v1/chat/completions", json: chat, headers: [("x-mock-latency-ms", "200")])
            let elapsed = nowMilliseconds() - start
            #expect(response.status == 200)
            #expect(elapsed >= 200, "answered after \(elapsed) ms")
        }

        @Test func defaultLatencyAppliesToEveryResponseAndTheHeaderOverridesIt() async throws {
            let server = try MockTestServer(options: MockOptions(latencyMilliseconds: 150))
            for (path, json) in [("/v1/messages", chat), ("/v1/chat/completions", #"{"bad"#)] {
                let start = nowMilliseconds()
                _ = try await server.request(path, json: json)
                let elapsed = nowMilliseconds() - start
                #expect(elapsed >= 150, "\(path) answered after \(elapsed) ms")
            }
            let streamStart = nowMilliseconds()
            let stream = try await server.request("/v1/chat/completions", json: #"{"model":"m","stream":true}"#)
            #expect(nowMilliseconds() - streamStart >= 150)
            #expect(serverSentData(stream.body).last == "[DONE]")

            let start = nowMilliseconds()
            _ = try await server.request("/v1/chat/completions", json: chat, headers: [("x-mock-latency-ms", "0")])
            #expect(nowMilliseconds() - start < 140)
        }

        @Test func statsCountRequestsAndAcceptedConnections() async throws {
            let server = try MockTestServer()
            let chatRequest = TestClient.request("POST", "/v1/chat/completions", body: chat)
            let statsRequest = TestClient.request("GET", "/mock/stats")
            let stats = try await server.withClient { client in
                for _ in 0..<3 {
                    try client.send(chatRequest)
                    _ = try client.readResponse()
                }
                try client.send(statsRequest)
                return try client.readResponse()
            }
            let first = try jsonObject(stats.body)
            #expect(first["requests"] as? Int == 3)
            #expect(first["connections"] as? Int == 1, "three requests and the stats on one keep-alive connection")
            #expect(first["open_connections"] as? Int == 1)
            #expect((first["routes"] as? [String: Int])?["chat_completions"] == 3)

            _ = try await server.request("/v1/embeddings", json: #"{"model":"e","input":"x"}"#)
            let second = try jsonObject(try await server.request("/mock/stats", method: "GET").body)
            #expect(second["requests"] as? Int == 4)
            #expect(second["connections"] as? Int == 3)
            #expect(server.provider.statistics.requests == 4)
        }
    }
}
