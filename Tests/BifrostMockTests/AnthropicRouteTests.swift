import BifrostMock
import Foundation
import Testing

extension MockLiveTests {
    @Suite("Anthropic Messages route")
    struct AnthropicRouteTests {
        private let request = #"{"model":"claude-sonnet-4","max_tokens":64,"messages":[{"role":"user","content":"Hi"}]}"#

        @Test func messageHasTheAnthropicShape() async throws {
            let server = try MockTestServer()
            let response = try await server.request("/v1/messages", json: request)
            #expect(response.status == 200)
            let body = try jsonObject(response.body)
            #expect((body["id"] as? String)?.hasPrefix("msg_") == true)
            #expect(body["type"] as? String == "message")
            #expect(body["role"] as? String == "assistant")
            #expect(body["model"] as? String == "claude-sonnet-4")
            let content = try #require(body["content"] as? [[String: Any]])
            #expect(content.count == 1)
            #expect(content[0]["type"] as? String == "text")
            #expect(content[0]["text"] as? String == MockOptions().replyText)
            #expect(body["stop_reason"] as? String == "end_turn")
            let usage = try #require(body["usage"] as? [String: Int])
            #expect(usage["input_tokens"] ?? 0 > 0)
            #expect(usage["output_tokens"] ?? 0 > 0)
        }

        @Test func streamSendsTheEventsInOrder() async throws {
            let server = try MockTestServer()
            let response = try await server.request(
                "/v1/messages", json: request.replacingOccurrences(of: "\"max_tokens\"", with: "\"stream\":true,\"max_tokens\""))
            #expect(response.header("content-type") == "text/event-stream")
            let events = serverSentEvents(response.body)
            let names = events.map { $0.first { $0.field == "event" }?.value ?? "?" }
            let deltaCount = names.filter { $0 == "content_block_delta" }.count
            #expect(deltaCount >= 2)
            #expect(names == ["message_start", "content_block_start"] + Array(repeating: "content_block_delta", count: deltaCount)
                + ["content_block_stop", "message_delta", "message_stop"])
            var text = ""
            for event in events {
                let name = try #require(event.first { $0.field == "event" }?.value)
                let data = try jsonObject(Array(try #require(event.first { $0.field == "data" }?.value).utf8))
                #expect(data["type"] as? String == name, "the data's type matches the event name")
                if name == "content_block_delta" {
                    let delta = try #require(data["delta"] as? [String: Any])
                    #expect(delta["type"] as? String == "text_delta")
                    text += delta["text"] as? String ?? ""
                }
                if name == "message_delta" {
                    #expect((data["delta"] as? [String: Any])?["stop_reason"] as? String == "end_turn")
                    #expect((data["usage"] as? [String: Int])?["output_tokens"] == deltaCount)
                }
                if name == "message_start" {
                    #expect((data["message"] as? [String: Any])?["model"] as? String == "claude-sonnet-4")
                }
            }
            #expect(text == MockOptions().replyText)
        }

        @Test func toolModelAnswersWithToolUse() async throws {
            let server = try MockTestServer()
            let body = try jsonObject(try await server.request(
                "/v1/messages", json: #"{"model":"claude-tool","messages":[],"tools":[{"name":"lookup","input_schema":{}}]}"#).body)
            #expect(body["stop_reason"] as? String == "tool_use")
            let block = try #require((body["content"] as? [[String: Any]])?.first)
            #expect(block["type"] as? String == "tool_use")
            #expect(block["name"] as? String == "lookup")
            #expect(block["input"] is [String: Any])
        }

        @Test func errorsUseTheAnthropicShape() async throws {
            let server = try MockTestServer()
            for (json, status) in [(#"{"model":"#, 400), (#"{"messages":[]}"#, 400)] {
                let response = try await server.request("/v1/messages", json: json)
                #expect(response.status == status)
                let body = try jsonObject(response.body)
                #expect(body["type"] as? String == "error")
                let error = try #require(body["error"] as? [String: Any])
                #expect(error["type"] as? String == "invalid_request_error")
                #expect(error["message"] is String)
            }
        }
    }
}
