import BifrostHTTP
import BifrostPluginKit
import Testing

@testable import BifrostProviders

/// Messages API responses and errors, as in Anthropic's reference, read into OpenAI's shape.
@Suite("Anthropic response translation")
struct AnthropicResponseCodecTests {
    private let request = chatRequest("anthropic", "claude-sonnet-4", [.text("user", "Hi")])

    private func decode(_ text: String, kind: RequestKind = .chatCompletion) throws -> BifrostResponse {
        try #require(AnthropicResponseCodec.response(try json(text), kind: kind, request: request, provider: "anthropic", now: 1_700_000_000))
    }

    @Test func textBlocksAreJoinedWithUsageAndCacheTokens() throws {
        let response = try decode("""
        {"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-20250514",
         "content":[{"type":"thinking","thinking":"hmm","signature":"s"},{"type":"text","text":"Hello"},{"type":"text","text":", world"}],
         "stop_reason":"end_turn","stop_sequence":null,
         "usage":{"input_tokens":10,"output_tokens":5,"cache_read_input_tokens":100,"cache_creation_input_tokens":20}}
        """)
        #expect(response.id == "msg_01")
        #expect(response.object == "chat.completion")
        #expect(response.created == 1_700_000_000)
        #expect(response.model == "claude-sonnet-4-20250514")
        #expect(response.choices.count == 1)
        #expect(response.choices[0].message?.role == "assistant")
        #expect(response.choices[0].message?.content == .text("Hello, world"))
        #expect(response.choices[0].message?.toolCalls == nil)
        #expect(response.choices[0].finishReason == "stop")
        #expect(response.usage == Usage(promptTokens: 130, completionTokens: 5, totalTokens: 135, cachedTokens: 100, cacheCreationTokens: 20))
        #expect(response.extraFields.provider == "anthropic")
        #expect(response.extraFields.model == "claude-sonnet-4")
    }

    @Test func toolUseBlocksBecomeToolCallsWithJSONStringArguments() throws {
        let response = try decode("""
        {"id":"msg_02","type":"message","role":"assistant","model":"claude",
         "content":[{"type":"text","text":"Let me check."},
                    {"type":"tool_use","id":"toolu_A","name":"get_weather","input":{"city":"Paris","days":2}},
                    {"type":"tool_use","id":"toolu_B","name":"get_time","input":{}}],
         "stop_reason":"tool_use","usage":{"input_tokens":3,"output_tokens":4}}
        """)
        let message = try #require(response.choices.first?.message)
        #expect(message.content == .text("Let me check."))
        let calls = try #require(message.toolCalls)
        #expect(calls.count == 2)
        #expect(calls[0].id == "toolu_A")
        #expect(calls[0].type == "function")
        #expect(calls[0].function.name == "get_weather")
        #expect(try json(calls[0].function.arguments) == .object(["city": .string("Paris"), "days": .number(2)]))
        #expect(calls[1].function.arguments == "{}")
        #expect(response.choices[0].finishReason == "tool_calls")
        #expect(response.usage == Usage(promptTokens: 3, completionTokens: 4))
    }

    @Test func onlyToolUseLeavesContentNull() throws {
        let response = try decode(#"{"id":"m","content":[{"type":"tool_use","id":"t","name":"f","input":{}}],"stop_reason":"tool_use"}"#)
        #expect(response.choices[0].message?.content == nil)
        #expect(response.usage == nil)
    }

    @Test(arguments: [("end_turn", "stop"), ("stop_sequence", "stop"), ("max_tokens", "length"), ("tool_use", "tool_calls"),
                      ("refusal", "content_filter"), ("pause_turn", "stop"), ("something_new", "something_new")])
    func stopReasonMapping(_ stopReason: String, _ finishReason: String) {
        #expect(AnthropicResponseCodec.finishReason(stopReason) == finishReason)
    }

    @Test func textCompletionResponsesCarryText() throws {
        let response = try decode(#"{"id":"m","content":[{"type":"text","text":"hi"}],"stop_reason":"max_tokens"}"#, kind: .textCompletion)
        #expect(response.object == "text_completion")
        #expect(response.choices[0].text == "hi")
        #expect(response.choices[0].message == nil)
        #expect(response.choices[0].finishReason == "length")
    }

    @Test func notAMessageIsNil() throws {
        #expect(AnthropicResponseCodec.response(try json(#"{"type":"error"}"#), kind: .chatCompletion, request: request,
                                                provider: "anthropic", now: 0) == nil)
    }

    @Test(arguments: [
        (400, "invalid_request_error", 400), (401, "authentication_error", 401), (403, "permission_error", 403),
        (404, "not_found_error", 404), (429, "rate_limit_error", 429), (500, "api_error", 500), (529, "overloaded_error", 529),
    ])
    func upstreamErrorsKeepStatusTypeAndMessage(_ status: Int, _ type: String, _ expected: Int) {
        let body = #"{"type":"error","error":{"type":"\#(type)","message":"it failed: \#(type)"}}"#
        let error = ProviderErrors.upstream(status: status, body: Array(body.utf8), headers: HTTPHeaders([("retry-after", "7")]),
                                            provider: "anthropic")
        #expect(error.statusCode == expected)
        #expect(error.isBifrostError == false)
        #expect(error.error.type == type)
        #expect(error.error.message == "it failed: \(type)")
        #expect(error.retryAfter == 7)
    }

    @Test func errorWithoutABodyNamesTheStatus() {
        let error = ProviderErrors.upstream(status: 502, body: Array("<html>".utf8), headers: HTTPHeaders(), provider: "anthropic")
        #expect(error.statusCode == 502)
        #expect(error.error.message == "anthropic returned HTTP 502")
    }

    @Test(arguments: [("overloaded_error", 503), ("rate_limit_error", 429), ("api_error", 500), ("invalid_request_error", 400),
                      ("mystery", 502)])
    func streamErrorStatusFromType(_ type: String, _ status: Int) throws {
        let error = AnthropicResponseCodec.streamError(try json(#"{"type":"\#(type)","message":"boom"}"#), provider: "anthropic")
        #expect(error.statusCode == status)
        #expect(error.error.message == "boom")
        #expect(error.error.type == type)
        #expect(!error.isBifrostError)
    }
}
