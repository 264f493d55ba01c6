import BifrostMock
import BifrostTestSupport
import Foundation
import Testing

extension MockLiveTests {
    @Suite("OpenAI routes")
    struct OpenAIRouteTests {
        @Test func chatCompletionHasTheOpenAIShapeAndEchoesTheModel() async throws {
            let server = try MockTestServer()
            let response = try await server.request("/v1/chat/completions",
                                                    json: #"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}"#)
            #expect(response.status == 200)
            #expect(response.header("content-type") == "application/json")
            let body = try jsonObject(response.body)
            #expect((body["id"] as? String)?.hasPrefix("chatcmpl-") == true)
            #expect(body["object"] as? String == "chat.completion")
            #expect(body["created"] as? Int ?? 0 > 1_600_000_000)
            #expect(body["model"] as? String == "gpt-4o-mini")
            let choice = try #require((body["choices"] as? [[String: Any]])?.first)
            let message = try #require(choice["message"] as? [String: Any])
            #expect(message["role"] as? String == "assistant")
            #expect(message["content"] as? String == MockOptions().replyText)
            #expect(choice["finish_reason"] as? String == "stop")
            let usage = try #require(body["usage"] as? [String: Int])
            #expect(usage["prompt_tokens"] ?? 0 > 0)
            #expect(usage["completion_tokens"] ?? 0 > 0)
            #expect(usage["total_tokens"] == (usage["prompt_tokens"] ?? 0) + (usage["completion_tokens"] ?? 0))
        }

        @Test func toolModelWithToolsAnswersWithAToolCall() async throws {
            let server = try MockTestServer()
            let request = #"{"model":"mock-tool-model","messages":[],"tools":[{"type":"function","function":{"name":"get_weather","parameters":{}}}]}"#
            let body = try jsonObject(try await server.request("/v1/chat/completions", json: request).body)
            let choice = try #require((body["choices"] as? [[String: Any]])?.first)
            #expect(choice["finish_reason"] as? String == "tool_calls")
            let message = try #require(choice["message"] as? [String: Any])
            let call = try #require((message["tool_calls"] as? [[String: Any]])?.first)
            #expect(call["type"] as? String == "function")
            #expect((call["id"] as? String)?.isEmpty == false)
            let function = try #require(call["function"] as? [String: Any])
            #expect(function["name"] as? String == "get_weather")
            #expect(function["arguments"] as? String == "{}")

            // The same tools with an ordinary model get text.
            let plain = try jsonObject(try await server.request(
                "/v1/chat/completions", json: request.replacingOccurrences(of: "mock-tool-model", with: "gpt-4o")).body)
            #expect(((plain["choices"] as? [[String: Any]])?.first?["finish_reason"] as? String) == "stop")
        }

        @Test func streamedChatSendsChunksThenDone() async throws {
            let server = try MockTestServer()
            let response = try await server.request("/v1/chat/completions", json: #"{"model":"gpt-4o","stream":true,"messages":[]}"#)
            #expect(response.status == 200)
            #expect(response.header("content-type") == "text/event-stream")
            #expect(response.header("transfer-encoding") == "chunked")
            let data = serverSentData(response.body)
            #expect(data.last == "[DONE]")
            let chunks = try data.dropLast().map { try jsonObject(Array($0.utf8)) }
            #expect(chunks.count >= 3)
            #expect(chunks.allSatisfy { $0["object"] as? String == "chat.completion.chunk" && $0["model"] as? String == "gpt-4o" })
            #expect(Set(chunks.compactMap { $0["id"] as? String }).count == 1)
            let deltas = chunks.map { (($0["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any]) ?? [:] }
            #expect(deltas.first?["role"] as? String == "assistant")
            let text = deltas.compactMap { $0["content"] as? String }.joined()
            #expect(text == MockOptions().replyText)
            let last = try #require(chunks.last)
            #expect(((last["choices"] as? [[String: Any]])?.first?["finish_reason"] as? String) == "stop")
            #expect((last["usage"] as? [String: Int])?["completion_tokens"] ?? 0 > 0)
        }

        @Test func chunksHeaderSetsTheNumberOfContentDeltas() async throws {
            let server = try MockTestServer()
            let response = try await server.request("/v1/chat/completions", json: #"{"model":"m","stream":true}"#,
                                                    headers: [("x-mock-chunks", "20")])
            let chunks = try serverSentData(response.body).dropLast().map { try jsonObject(Array($0.utf8)) }
            let contents = chunks.compactMap { (($0["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any])?["content"] as? String }
            // The role chunk carries an empty content; the rest are the 20 deltas.
            #expect(contents.filter { !$0.isEmpty }.count == 20)
        }

        @Test func streamedToolCall() async throws {
            let server = try MockTestServer()
            let response = try await server.request(
                "/v1/chat/completions",
                json: #"{"model":"tool-user","stream":true,"tools":[{"type":"function","function":{"name":"search"}}]}"#)
            let chunks = try serverSentData(response.body).dropLast().map { try jsonObject(Array($0.utf8)) }
            let first = try #require(((chunks.first?["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any]))
            let call = try #require((first["tool_calls"] as? [[String: Any]])?.first)
            #expect((call["function"] as? [String: Any])?["name"] as? String == "search")
            #expect(((chunks.last?["choices"] as? [[String: Any]])?.first?["finish_reason"] as? String) == "tool_calls")
        }

        @Test func legacyCompletion() async throws {
            let server = try MockTestServer()
            let body = try jsonObject(try await server.request("/v1/completions", json: #"{"model":"davinci","prompt":"Say hi"}"#).body)
            #expect(body["object"] as? String == "text_completion")
            #expect(body["model"] as? String == "davinci")
            let choice = try #require((body["choices"] as? [[String: Any]])?.first)
            #expect(choice["text"] as? String == MockOptions().replyText)
            #expect(choice["finish_reason"] as? String == "stop")
            #expect(body["usage"] is [String: Int])

            let stream = try await server.request("/v1/completions", json: #"{"model":"davinci","prompt":"x","stream":true}"#)
            let data = serverSentData(stream.body)
            #expect(data.last == "[DONE]")
            let text = try data.dropLast().map { try jsonObject(Array($0.utf8)) }
                .compactMap { ($0["choices"] as? [[String: Any]])?.first?["text"] as? String }.joined()
            #expect(text == MockOptions().replyText)
        }

        @Test(arguments: [(#""hello""#, 1), (#"["a","b","c"]"#, 3), (#"[101,102,103]"#, 1)])
        func embeddingsReturnOneVectorPerInput(input: String, count: Int) async throws {
            let server = try MockTestServer(options: MockOptions(embeddingDimensions: 16))
            let body = try jsonObject(try await server.request(
                "/v1/embeddings", json: #"{"model":"text-embedding-3-small","input":\#(input)}"#).body)
            #expect(body["object"] as? String == "list")
            #expect(body["model"] as? String == "text-embedding-3-small")
            let data = try #require(body["data"] as? [[String: Any]])
            #expect(data.count == count)
            for (index, item) in data.enumerated() {
                #expect(item["object"] as? String == "embedding")
                #expect(item["index"] as? Int == index)
                #expect((item["embedding"] as? [Double])?.count == 16)
            }
            #expect((body["usage"] as? [String: Int])?["prompt_tokens"] ?? 0 > 0)
        }

        @Test func azureDeploymentPathsServeTheOpenAIRoutes() async throws {
            let server = try MockTestServer()
            let base = "/openai/deployments/prod-4o"
            let chat = try await server.request("\(base)/chat/completions?api-version=2024-10-21",
                                                json: #"{"model":"gpt-4o","messages":[{"role":"user","content":"Hi"}]}"#)
            #expect(try jsonObject(chat.body)["object"] as? String == "chat.completion")
            let text = try await server.request("\(base)/completions?api-version=2024-10-21", json: #"{"model":"m","prompt":"Hi"}"#)
            #expect(try jsonObject(text.body)["object"] as? String == "text_completion")
            let embeddings = try await server.request("\(base)/embeddings?api-version=2024-10-21", json: #"{"model":"e","input":"a"}"#)
            #expect((try jsonObject(embeddings.body)["data"] as? [Any])?.count == 1)
            let unknown = try await server.request("/openai/deployments/only-a-name", json: #"{"model":"m"}"#)
            #expect(unknown.status == 404)
        }

        @Test func modelsList() async throws {
            let server = try MockTestServer()
            let response = try await server.request("/v1/models", method: "GET")
            let body = try jsonObject(response.body)
            #expect(body["object"] as? String == "list")
            let data = try #require(body["data"] as? [[String: Any]])
            #expect(data.map { $0["id"] as? String } == MockOptions().modelIDs)
            #expect(data.allSatisfy { $0["object"] as? String == "model" })
        }

        @Test func errorsUseTheOpenAIShape() async throws {
            let server = try MockTestServer()
            let cases: [(method: String, path: String, json: String?, status: Int)] = [
                ("POST", "/v1/nothing-here", #"{}"#, 404),
                ("POST", "/v1/chat/completions", #"{"model":"m","messages":[}"#, 400),
                ("POST", "/v1/chat/completions", #"{"messages":[]}"#, 400),
                ("POST", "/v1/embeddings", #"{"model":"m"}"#, 400),
                ("GET", "/v1/chat/completions", nil, 405),
            ]
            for item in cases {
                let response = try await server.request(item.path, method: item.method, json: item.json)
                #expect(response.status == item.status, "\(item.method) \(item.path)")
                let error = try #require(try jsonObject(response.body)["error"] as? [String: Any])
                #expect(error["message"] is String)
                #expect(error["type"] is String)
                #expect(error.keys.contains("param") && error.keys.contains("code"))
            }
        }

        @Test func keepAliveConnectionServesManyRequests() async throws {
            let server = try MockTestServer()
            let request = TestClient.request("POST", "/v1/chat/completions", body: #"{"model":"m","stream":true}"#)
            let plain = TestClient.request("POST", "/v1/chat/completions", body: #"{"model":"m"}"#)
            let statuses = try await server.withClient { client in
                try (0..<6).map { index in
                    try client.send(index % 2 == 0 ? request : plain)
                    return try client.readResponse().status
                }
            }
            #expect(statuses == Array(repeating: 200, count: 6))
        }
    }
}
