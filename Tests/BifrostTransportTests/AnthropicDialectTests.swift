@testable import BifrostTransport
import BifrostPluginKit
import Foundation
import Testing

@Suite("Anthropic drop-in route: Messages requests in, Anthropic messages and events out")
struct AnthropicDialectTests {
    private func decode(_ json: String, known: Set<String> = ["anthropic", "openai"]) throws(RequestValidationError) -> BifrostRequest {
        try AnthropicRequestDecoder.decode(Array(json.utf8), knownProviders: known)
    }

    private func messages(_ request: BifrostRequest) -> [BifrostMessage] {
        if case .chat(let messages) = request.input { return messages }
        return []
    }

    @Test func systemToolUseAndToolResultsBecomeOpenAIMessagesInOrder() throws {
        let request = try decode(#"""
        {"model":"claude-3-5-haiku-latest","max_tokens":64,"system":[{"type":"text","text":"Be brief."}],
         "messages":[
          {"role":"user","content":"Weather in Oslo?"},
          {"role":"assistant","content":[{"type":"text","text":"Checking."},{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Oslo"}}]},
          {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":[{"type":"text","text":"4 degrees"}]},{"type":"text","text":"Summarise."}]}
         ]}
        """#)
        #expect(request.provider == "anthropic")
        #expect(request.model == "claude-3-5-haiku-latest")
        let list = messages(request)
        #expect(list.map(\.role) == ["system", "user", "assistant", "tool", "user"])
        #expect(list[0].content?.plainText == "Be brief.")
        #expect(list[2].content?.plainText == "Checking.")
        #expect(list[2].toolCalls?.first?.id == "toolu_1")
        #expect(list[2].toolCalls?.first?.function.name == "get_weather")
        #expect(list[2].toolCalls?.first?.function.arguments == #"{"city":"Oslo"}"#)
        #expect(list[3].toolCallID == "toolu_1")
        #expect(list[3].content?.plainText == "4 degrees")
        #expect(list[4].content?.plainText == "Summarise.")
        #expect(request.params.maxTokens == 64)
    }

    @Test func imagesToolsChoiceStopAndUnknownFieldsMapAcross() throws {
        let request = try decode(#"""
        {"model":"claude-3-5-haiku-latest","max_tokens":10,"stop_sequences":["END"],"temperature":0.3,"top_k":5,
         "metadata":{"user_id":"u-1"},"thinking":{"type":"enabled","budget_tokens":1024},
         "tools":[{"name":"get_weather","description":"d","input_schema":{"type":"object"}}],
         "tool_choice":{"type":"any","disable_parallel_tool_use":true},
         "messages":[{"role":"user","content":[
           {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBOR"}},
           {"type":"image","source":{"type":"url","url":"https://example.com/a.jpg"}},
           {"type":"text","text":"What is this?"}]}]}
        """#)
        guard case .parts(let parts)? = messages(request).first?.content else {
            Issue.record("expected parts")
            return
        }
        #expect(parts == [.image(url: "data:image/png;base64,iVBOR", detail: nil), .image(url: "https://example.com/a.jpg", detail: nil),
                          .text("What is this?")])
        #expect(request.params.stop == ["END"])
        #expect(request.params.temperature == 0.3)
        #expect(request.params.topK == 5)
        #expect(request.params.user == "u-1")
        #expect(request.params.tools?.first?.function.name == "get_weather")
        #expect(request.params.toolChoice == .required)
        #expect(request.params.parallelToolCalls == false)
        #expect(request.params.extra["thinking"]?["budget_tokens"] == .number(1024))
    }

    @Test func providerPrefixesRouteElsewhereOnlyForConfiguredProviders() throws {
        let toOpenAI = try decode(#"{"model":"openai/gpt-4o-mini","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}"#)
        #expect(toOpenAI.provider == "openai")
        #expect(toOpenAI.model == "gpt-4o-mini")
        let unknownPrefix = try decode(#"{"model":"us.anthropic/claude","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}"#)
        #expect(unknownPrefix.provider == "anthropic")
        #expect(unknownPrefix.model == "us.anthropic/claude")
    }

    @Test(arguments: [
        (#"{"model":"c","max_tokens":5}"#, "messages"),
        (#"{"model":"c","messages":[{"role":"robot","content":"hi"}]}"#, "messages[0].role"),
        (#"{"model":"c","messages":[{"role":"user","content":[{"type":"video"}]}]}"#, "messages[0].content[0].type"),
        (#"{"model":"c","messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64"}}]}]}"#, "messages[0].content[0].source"),
        (#"{"model":"c","messages":[{"role":"user","content":"hi"}],"tool_choice":{"type":"tool"}}"#, "tool_choice.name"),
        (#"{"model":"c","messages":[{"role":"user","content":"hi"}],"tools":[{"name":"web","type":"web_search_20250305"}]}"#, "tools[0].input_schema"),
    ])
    func badRequestsNameThePath(_ json: String, _ path: String) {
        do {
            _ = try decode(json)
            Issue.record("expected an error for \(json)")
        } catch {
            #expect(error.param == path, "\(error.message)")
        }
    }

    @Test func messageJSONHasAnthropicsShapeWithToolUseAndCacheAwareUsage() throws {
        let response = BifrostResponse(
            id: "msg_1", object: "chat.completion", created: 1, model: "claude-3-5-haiku-latest",
            choices: [Choice(message: BifrostMessage(role: "assistant", content: .text("Let me check."),
                                                     toolCalls: [ToolCall(id: "toolu_9", name: "get_weather", arguments: #"{"city":"Oslo"}"#)]),
                             finishReason: "tool_calls")],
            usage: Usage(promptTokens: 100, completionTokens: 7, cachedTokens: 60, cacheCreationTokens: 10),
            extraFields: ExtraFields(provider: "anthropic", model: "claude-3-5-haiku-latest"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(AnthropicWire.message(response))) as? [String: Any])
        #expect(json["type"] as? String == "message")
        #expect(json["role"] as? String == "assistant")
        #expect(json["stop_reason"] as? String == "tool_use")
        let content = try #require(json["content"] as? [[String: Any]])
        #expect(content.map { $0["type"] as? String } == ["text", "tool_use"])
        #expect(content[1]["id"] as? String == "toolu_9")
        #expect((content[1]["input"] as? [String: Any])?["city"] as? String == "Oslo")
        let usage = try #require(json["usage"] as? [String: Any])
        #expect(usage["input_tokens"] as? Int == 30)
        #expect(usage["output_tokens"] as? Int == 7)
        #expect(usage["cache_read_input_tokens"] as? Int == 60)
        #expect(usage["cache_creation_input_tokens"] as? Int == 10)
    }

    @Test(arguments: [(400, "invalid_request_error"), (401, "authentication_error"), (403, "permission_error"),
                      (404, "not_found_error"), (429, "rate_limit_error"), (500, "api_error"), (529, "overloaded_error")])
    func errorsUseAnthropicsTypes(_ status: Int, _ type: String) throws {
        let body = AnthropicWire.error(BifrostError(message: "nope", statusCode: status))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
        #expect(json["type"] as? String == "error")
        #expect((json["error"] as? [String: Any])?["type"] as? String == type)
        #expect((json["error"] as? [String: Any])?["message"] as? String == "nope")
    }

    @Test func chunksBecomeAnthropicsEventSequence() throws {
        var events = AnthropicEvents(model: "claude")
        func chunk(_ delta: BifrostMessage, finish: String? = nil, usage: Usage? = nil) -> BifrostResponse {
            BifrostResponse(id: "msg_s", object: "chat.completion.chunk", created: 1, model: "claude",
                            choices: [Choice(delta: delta, finishReason: finish)], usage: usage,
                            extraFields: ExtraFields(provider: "anthropic", model: "claude"))
        }
        var bytes: [UInt8] = []
        bytes += events.chunk(chunk(BifrostMessage(role: "assistant", content: .text("Hel"))))
        bytes += events.chunk(chunk(BifrostMessage(role: "", content: .text("lo"))))
        bytes += events.chunk(chunk(BifrostMessage(role: "", toolCalls: [ToolCall(id: "toolu_1", name: "get_weather", arguments: "")])))
        bytes += events.chunk(chunk(BifrostMessage(role: "", toolCalls: [ToolCall(id: "toolu_1", name: "", arguments: #"{"city":"#)])))
        bytes += events.chunk(chunk(BifrostMessage(role: "", toolCalls: [ToolCall(id: "", name: "", arguments: #""Oslo"}"#)])))
        bytes += events.chunk(chunk(BifrostMessage(role: ""), finish: "tool_calls", usage: Usage(promptTokens: 5, completionTokens: 9)))
        bytes += events.end()
        let parsed = try parseEvents(bytes)
        #expect(parsed.map(\.name) == ["message_start", "content_block_start", "content_block_delta", "content_block_delta",
                                       "content_block_stop", "content_block_start", "content_block_delta", "content_block_delta",
                                       "content_block_stop", "message_delta", "message_stop"])
        #expect(parsed.allSatisfy { $0.name == $0.data["type"] as? String })
        #expect((parsed[1].data["content_block"] as? [String: Any])?["type"] as? String == "text")
        #expect((parsed[3].data["delta"] as? [String: Any])?["text"] as? String == "lo")
        #expect(parsed[5].data["index"] as? Int == 1)
        #expect((parsed[5].data["content_block"] as? [String: Any])?["name"] as? String == "get_weather")
        let json = parsed[6...7].compactMap { ($0.data["delta"] as? [String: Any])?["partial_json"] as? String }.joined()
        #expect(json == #"{"city":"Oslo"}"#)
        #expect((parsed[9].data["delta"] as? [String: Any])?["stop_reason"] as? String == "tool_use")
        #expect((parsed[9].data["usage"] as? [String: Any])?["output_tokens"] as? Int == 9)
    }

    @Test func failureMidStreamIsAnErrorEvent() throws {
        var events = AnthropicEvents(model: "claude")
        _ = events.chunk(BifrostResponse(id: "m", object: "chat.completion.chunk", created: 1, model: "claude",
                                         choices: [Choice(delta: .text("assistant", "Hi"))], extraFields: ExtraFields(provider: "a", model: "claude")))
        let parsed = try parseEvents(events.failure(BifrostError(message: "upstream broke", statusCode: 502)))
        #expect(parsed.map(\.name) == ["error"])
        #expect((parsed[0].data["error"] as? [String: Any])?["message"] as? String == "upstream broke")
    }

    private func parseEvents(_ bytes: [UInt8]) throws -> [(name: String, data: [String: Any])] {
        let text = String(decoding: bytes, as: UTF8.self)
        return try text.components(separatedBy: "\n\n").filter { !$0.isEmpty }.map { block in
            let lines = block.components(separatedBy: "\n")
            let name = String(try #require(lines.first { $0.hasPrefix("event: ") }).dropFirst(7))
            let data = String(try #require(lines.first { $0.hasPrefix("data: ") }).dropFirst(6))
            return (name, try #require(try JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any]))
        }
    }
}
