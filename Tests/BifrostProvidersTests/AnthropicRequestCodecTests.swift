import BifrostPluginKit
import Foundation
import Testing

@testable import BifrostProviders

/// Request bodies checked against Anthropic's Messages API reference, field by field.
@Suite("Anthropic request translation")
struct AnthropicRequestCodecTests {
    private func body(_ request: BifrostRequest, stream: Bool = false) throws -> [String: Any] {
        try jsonObject(try AnthropicRequestCodec.requestBody(request, stream: stream))
    }

    private let weather = Tool(function: FunctionDefinition(
        name: "get_weather", description: "Weather for a city",
        parameters: .object(["type": .string("object"), "properties": .object(["city": .object(["type": .string("string")])]),
                             "required": .array([.string("city")])])))

    @Test func systemMessagesAreLiftedAndMaxTokensDefaulted() throws {
        let sent = try body(chatRequest("anthropic", "claude-sonnet-4", [
            .text("system", "Be brief."), .text("user", "Hi"), .text("developer", "Use English."),
        ]))
        #expect(sent["model"] as? String == "claude-sonnet-4")
        #expect(sent["system"] as? String == "Be brief.\n\nUse English.")
        #expect(sent["max_tokens"] as? Int == 4096)
        let messages = try #require(sent["messages"] as? [[String: Any]])
        #expect(messages.count == 1)
        #expect(messages[0]["role"] as? String == "user")
        #expect(messages[0]["content"] as? String == "Hi")
        for absent in ["tools", "tool_choice", "stream", "stop_sequences", "temperature", "top_p", "top_k", "metadata"] {
            #expect(sent[absent] == nil, "\(absent) should be absent")
        }
    }

    @Test func aLimitNamedMaxCompletionTokensIsAnthropicsMaxTokens() throws {
        var params = ModelParameters(maxTokens: 300)
        params.maxTokensField = .maxCompletionTokens
        let sent = try body(chatRequest("anthropic", "claude", [.text("user", "Hi")], params: params), stream: false)
        #expect(sent["max_tokens"] as? Int == 300)
        #expect(sent["max_completion_tokens"] == nil)
    }

    @Test func samplingParametersStopSequencesAndStream() throws {
        let params = ModelParameters(temperature: 0.3, topP: 0.9, topK: 40, maxTokens: 200, stop: ["END", "STOP"],
                                     presencePenalty: 1, seed: 7, user: "user-42")
        let sent = try body(chatRequest("anthropic", "claude", [.text("user", "Hi")], params: params), stream: true)
        #expect(sent["max_tokens"] as? Int == 200)
        #expect(sent["temperature"] as? Double == 0.3)
        #expect(sent["top_p"] as? Double == 0.9)
        #expect(sent["top_k"] as? Int == 40)
        #expect(sent["stop_sequences"] as? [String] == ["END", "STOP"])
        #expect(sent["stream"] as? Bool == true)
        #expect((sent["metadata"] as? [String: Any])?["user_id"] as? String == "user-42")
        // OpenAI-only parameters have no Anthropic counterpart.
        #expect(sent["presence_penalty"] == nil)
        #expect(sent["seed"] == nil)
        #expect(sent["stop"] == nil)
    }

    @Test func toolsUseInputSchemaAndAreNeverAnEmptyArray() throws {
        let sent = try body(chatRequest("anthropic", "claude", [.text("user", "Weather?")],
                                        params: ModelParameters(tools: [weather, Tool(function: FunctionDefinition(name: "noop"))])))
        let tools = try #require(sent["tools"] as? [[String: Any]])
        #expect(tools.count == 2)
        #expect(tools[0]["name"] as? String == "get_weather")
        #expect(tools[0]["description"] as? String == "Weather for a city")
        let schema = try #require(tools[0]["input_schema"] as? [String: Any])
        #expect(schema["type"] as? String == "object")
        #expect(schema["required"] as? [String] == ["city"])
        #expect(tools[0]["type"] == nil && tools[0]["function"] == nil)
        // A tool without parameters still gets the object schema Anthropic requires.
        #expect((tools[1]["input_schema"] as? [String: Any])?["type"] as? String == "object")
        #expect(tools[1]["description"] == nil)

        let empty = try body(chatRequest("anthropic", "claude", [.text("user", "Hi")],
                                         params: ModelParameters(tools: [], toolChoice: .auto)))
        #expect(empty["tools"] == nil)
        #expect(empty["tool_choice"] == nil)  // Anthropic rejects tool_choice without tools
    }

    @Test(arguments: [
        (ToolChoice.auto, #"{"type":"auto"}"#),
        (ToolChoice.required, #"{"type":"any"}"#),
        (ToolChoice.function("get_weather"), #"{"name":"get_weather","type":"tool"}"#),
        (ToolChoice.none, #"{"type":"none"}"#),
    ])
    func toolChoiceMapping(_ choice: ToolChoice, _ expected: String) throws {
        let bytes = try AnthropicRequestCodec.requestBody(
            chatRequest("anthropic", "claude", [.text("user", "Hi")], params: ModelParameters(tools: [weather], toolChoice: choice)),
            stream: false)
        #expect(try JSONParser.parse(bytes)["tool_choice"] == (try json(expected)))
    }

    @Test func parallelToolCallsFalseDisablesParallelToolUse() throws {
        let sent = try body(chatRequest("anthropic", "claude", [.text("user", "Hi")],
                                        params: ModelParameters(tools: [weather], parallelToolCalls: false)))
        let choice = try #require(sent["tool_choice"] as? [String: Any])
        #expect(choice["type"] as? String == "auto")
        #expect(choice["disable_parallel_tool_use"] as? Bool == true)
    }

    @Test func toolCallsBecomeToolUseAndConsecutiveResultsOneUserMessage() throws {
        let messages: [BifrostMessage] = [
            .text("user", "Weather in Paris and Rome?"),
            BifrostMessage(role: "assistant", content: .text("Checking."), toolCalls: [
                ToolCall(id: "toolu_1", name: "get_weather", arguments: #"{"city":"Paris"}"#),
                ToolCall(id: "toolu_2", name: "get_weather", arguments: ""),
            ]),
            BifrostMessage(role: "tool", content: .text("18C"), toolCallID: "toolu_1"),
            BifrostMessage(role: "tool", content: .parts([.text("21C")]), toolCallID: "toolu_2"),
            .text("user", "Thanks"),
        ]
        let sent = try body(chatRequest("anthropic", "claude", messages))
        let turns = try #require(sent["messages"] as? [[String: Any]])
        #expect(turns.map { $0["role"] as? String } == ["user", "assistant", "user", "user"])

        let assistant = try #require(turns[1]["content"] as? [[String: Any]])
        #expect(assistant.count == 3)
        #expect(assistant[0]["type"] as? String == "text")
        #expect(assistant[0]["text"] as? String == "Checking.")
        #expect(assistant[1]["type"] as? String == "tool_use")
        #expect(assistant[1]["id"] as? String == "toolu_1")
        #expect(assistant[1]["name"] as? String == "get_weather")
        #expect((assistant[1]["input"] as? [String: Any])?["city"] as? String == "Paris")
        #expect((assistant[2]["input"] as? [String: Any])?.isEmpty == true)  // empty arguments → {}

        let results = try #require(turns[2]["content"] as? [[String: Any]])
        #expect(results.count == 2)
        #expect(results[0]["type"] as? String == "tool_result")
        #expect(results[0]["tool_use_id"] as? String == "toolu_1")
        #expect(results[0]["content"] as? String == "18C")
        #expect(results[1]["tool_use_id"] as? String == "toolu_2")
        #expect((results[1]["content"] as? [[String: Any]])?.first?["text"] as? String == "21C")
        #expect(turns[3]["content"] as? String == "Thanks")
    }

    @Test func assistantToolCallWithoutTextHasOnlyToolUseBlocks() throws {
        let sent = try body(chatRequest("anthropic", "claude", [
            .text("user", "Go"),
            BifrostMessage(role: "assistant", toolCalls: [ToolCall(id: "t1", name: "f", arguments: #"{"n":[1,2]}"#)]),
            BifrostMessage(role: "tool", content: .text("ok"), toolCallID: "t1"),
        ]))
        let blocks = try #require((sent["messages"] as? [[String: Any]])?[1]["content"] as? [[String: Any]])
        #expect(blocks.map { $0["type"] as? String } == ["tool_use"])
        #expect((blocks[0]["input"] as? [String: Any])?["n"] as? [Int] == [1, 2])
    }

    @Test func imagePartsBecomeBase64AndURLSources() throws {
        let message = BifrostMessage(role: "user", content: .parts([
            .text("What is in these?"),
            .image(url: "data:image/png;base64,iVBORw0KGgo=", detail: "high"),
            .image(url: "https://example.com/cat.jpg", detail: nil),
        ]))
        let sent = try body(chatRequest("anthropic", "claude", [message]))
        let blocks = try #require((sent["messages"] as? [[String: Any]])?.first?["content"] as? [[String: Any]])
        #expect(blocks.count == 3)
        #expect(blocks[0]["type"] as? String == "text")
        #expect(blocks[0]["text"] as? String == "What is in these?")
        #expect(blocks[1]["type"] as? String == "image")
        let base64 = try #require(blocks[1]["source"] as? [String: Any])
        #expect(base64["type"] as? String == "base64")
        #expect(base64["media_type"] as? String == "image/png")
        #expect(base64["data"] as? String == "iVBORw0KGgo=")
        let url = try #require(blocks[2]["source"] as? [String: Any])
        #expect(url["type"] as? String == "url")
        #expect(url["url"] as? String == "https://example.com/cat.jpg")
    }

    @Test func extraParametersPassThroughUntouchedAndWin() throws {
        let extra: [String: JSONValue] = [
            "thinking": .object(["type": .string("enabled"), "budget_tokens": .number(1024)]),
            "system": .array([.object(["type": .string("text"), "text": .string("cached"),
                                       "cache_control": .object(["type": .string("ephemeral")])])]),
        ]
        let bytes = try AnthropicRequestCodec.requestBody(
            chatRequest("anthropic", "claude", [.text("system", "plain"), .text("user", "Hi")], params: ModelParameters(extra: extra)),
            stream: false)
        let sent = try JSONParser.parse(bytes)
        #expect(sent["thinking"] == extra["thinking"])
        #expect(sent["system"] == extra["system"])  // written once, as sent
        #expect(String(decoding: bytes, as: UTF8.self).components(separatedBy: "\"system\"").count == 2)
    }

    @Test func textCompletionIsOneUserMessage() throws {
        let sent = try body(BifrostRequest(provider: "anthropic", model: "claude", input: .text("Say hi")))
        let messages = try #require(sent["messages"] as? [[String: Any]])
        #expect(messages.count == 1)
        #expect(messages[0]["role"] as? String == "user")
        #expect(messages[0]["content"] as? String == "Say hi")
    }

    @Test func invalidInputIsA400() throws {
        let badArguments = chatRequest("anthropic", "claude", [
            BifrostMessage(role: "assistant", toolCalls: [ToolCall(id: "t", name: "f", arguments: "{not json")]),
        ])
        #expect(throws: BifrostError.self) { try AnthropicRequestCodec.requestBody(badArguments, stream: false) }
        do {
            _ = try AnthropicRequestCodec.requestBody(badArguments, stream: false)
        } catch {
            #expect(error.statusCode == 400)
            #expect(error.error.param == "messages[0].tool_calls[0].function.arguments")
        }
        do {
            _ = try AnthropicRequestCodec.requestBody(BifrostRequest(provider: "anthropic", model: "c", input: .embedding(["a"])),
                                                      stream: false)
            Issue.record("embeddings should be refused")
        } catch {
            #expect(error.statusCode == 400)
            #expect(error.fallbacksAllowed)
            #expect(error.error.type == "unsupported_operation")
        }
        do {
            _ = try AnthropicRequestCodec.requestBody(chatRequest("anthropic", "c", [BifrostMessage(role: "tool", content: .text("x"))]),
                                                      stream: false)
            Issue.record("a tool message without tool_call_id should be refused")
        } catch {
            #expect(error.statusCode == 400)
        }
    }
}
