import BifrostCore
import BifrostHTTP
import BifrostPluginKit
import Testing

@testable import BifrostProviders

/// Cohere v2 chat translation, field by field (shapes from Cohere's v2 chat reference).
@Suite("Cohere v2 translation")
struct CohereCodecTests {
    @Test func requestMapsMessagesToolsAndSampling() throws {
        let params = ModelParameters(temperature: 0.3, topP: 0.8, topK: 40, maxTokens: 64, stop: ["END"],
                                     tools: [Tool(function: FunctionDefinition(name: "get_weather", parameters: .object(["type": .string("object")])))],
                                     toolChoice: .required, seed: 3)
        let request = chatRequest("cohere", "command-r-plus", [
            .text("system", "Be brief."), .text("user", "Weather?"),
            BifrostMessage(role: "assistant", toolCalls: [ToolCall(id: "c1", name: "get_weather", arguments: #"{"city":"Oslo"}"#)]),
            BifrostMessage(role: "tool", content: .text("4 degrees"), toolCallID: "c1"),
        ], params: params)
        let body = try jsonObject(try CohereCodec.requestBody(request, provider: "cohere", stream: true))
        #expect(body["model"] as? String == "command-r-plus")
        #expect(body["stream"] as? Bool == true)
        let messages = try #require(body["messages"] as? [[String: Any]])
        #expect(messages.map { $0["role"] as? String } == ["system", "user", "assistant", "tool"])
        let call = try #require((messages[2]["tool_calls"] as? [[String: Any]])?.first)
        #expect((call["function"] as? [String: Any])?["arguments"] as? String == #"{"city":"Oslo"}"#)
        #expect(messages[3]["tool_call_id"] as? String == "c1")
        #expect(body["p"] as? Double == 0.8)
        #expect(body["k"] as? Int == 40)
        #expect(body["max_tokens"] as? Int == 64)
        #expect(body["stop_sequences"] as? [String] == ["END"])
        #expect(body["tool_choice"] as? String == "REQUIRED")
        #expect(((body["tools"] as? [[String: Any]])?.first?["function"] as? [String: Any])?["name"] as? String == "get_weather")
    }

    @Test func responseTextToolCallsFinishAndUsage() throws {
        let value = try json(#"""
        {"id":"c-1","finish_reason":"TOOL_CALL","message":{"role":"assistant","tool_plan":"I will check.",
          "content":[{"type":"text","text":"Checking."}],
          "tool_calls":[{"id":"get_weather_x1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}}]},
         "usage":{"billed_units":{"input_tokens":9,"output_tokens":4},"tokens":{"input_tokens":200,"output_tokens":30}}}
        """#)
        let response = try CohereCodec.response(value, request: chatRequest("cohere", "command-r", [.text("user", "hi")]),
                                                provider: "cohere", now: 1)
        let choice = try #require(response.choices.first)
        #expect(choice.finishReason == "tool_calls")
        #expect(choice.message?.content?.plainText == "Checking.")
        #expect(choice.message?.toolCalls?.first?.id == "get_weather_x1")
        #expect(response.usage == Usage(promptTokens: 200, completionTokens: 30))
        #expect(response.id == "c-1")
    }

    @Test func streamEventsBecomeChunks() throws {
        var translator = CohereStreamTranslator(provider: "cohere", model: "command-r", created: 1)
        let events = [
            #"{"type":"message-start","id":"m1","delta":{"message":{"role":"assistant"}}}"#,
            #"{"type":"content-start","index":0,"delta":{"message":{"content":{"type":"text","text":""}}}}"#,
            #"{"type":"content-delta","index":0,"delta":{"message":{"content":{"text":"Hel"}}}}"#,
            #"{"type":"content-delta","index":0,"delta":{"message":{"content":{"text":"lo"}}}}"#,
            #"{"type":"tool-call-start","index":1,"delta":{"message":{"tool_calls":{"id":"t1","type":"function","function":{"name":"f","arguments":""}}}}}"#,
            #"{"type":"tool-call-delta","index":1,"delta":{"message":{"tool_calls":{"function":{"arguments":"{}"}}}}}"#,
            #"{"type":"message-end","delta":{"finish_reason":"TOOL_CALL","usage":{"tokens":{"input_tokens":5,"output_tokens":6}}}}"#,
        ]
        let chunks = try events.compactMap { try translator.translate(Array($0.utf8)) }
        #expect(translator.isFinished)
        #expect(chunks.compactMap { $0.choices.first?.delta?.content?.plainText }.joined() == "Hello")
        let calls = chunks.compactMap { $0.choices.first?.delta?.toolCalls?.first }
        #expect(calls.map(\.id) == ["t1", "t1"])
        #expect(calls.map(\.function.arguments).joined() == "{}")
        #expect(chunks.last?.choices.first?.finishReason == "tool_calls")
        #expect(chunks.last?.usage?.completionTokens == 6)
        #expect(chunks.first?.id == "m1")
    }
}

extension LiveProviderTests {
    @Suite("Cohere provider over HTTPS")
    struct CohereProviderTests {
        @Test func chatGoesToV2WithBearerKey() async throws {
            let upstream = try CaptureServer(body: #"{"id":"x","finish_reason":"COMPLETE","message":{"role":"assistant","content":[{"type":"text","text":"Hi"}]},"usage":{"tokens":{"input_tokens":1,"output_tokens":1}}}"#)
            let client = try TestUpstreamClient()
            let cohere = CohereProvider(name: "cohere", baseURL: upstream.baseURL, client: client.client, config: providerConfig(key: "co-key"))
            let response = try await cohere.complete(chatRequest("cohere", "command-r", [.text("user", "hi")]),
                                                     key: ProviderKey(value: "co-key"), context: BifrostContext())
            #expect(response.choices.first?.message?.content?.plainText == "Hi")
            #expect(response.choices.first?.finishReason == "stop")
            #expect(upstream.recorded.last?.target == "/v2/chat")
            #expect(upstream.recorded.last?.headers["authorization"] == "Bearer co-key")
        }

        @Test func cohereErrorsKeepTheirStatusAndMessage() async throws {
            let upstream = try CaptureServer(status: 401, body: #"{"id":"e1","message":"invalid api token"}"#)
            let client = try TestUpstreamClient()
            let cohere = CohereProvider(name: "cohere", baseURL: upstream.baseURL, client: client.client, config: providerConfig(key: "bad"))
            let error = await expectBifrostError {
                _ = try await cohere.complete(chatRequest("cohere", "command-r", [.text("user", "hi")]), key: ProviderKey(value: "bad"),
                                              context: BifrostContext())
            }
            #expect(error?.statusCode == 401)
            #expect(error?.error.message == "invalid api token")
        }

        @Test func streamRelaysEventsUntilMessageEnd() async throws {
            let events = [
                #"{"type":"message-start","id":"m1","delta":{"message":{"role":"assistant"}}}"#,
                #"{"type":"content-delta","index":0,"delta":{"message":{"content":{"text":"Hi"}}}}"#,
                #"{"type":"message-end","delta":{"finish_reason":"COMPLETE"}}"#,
            ].map { "event: x\ndata: \($0)\n\n" }.joined()
            let upstream = try CaptureServer(body: events, eventStream: true)
            let client = try TestUpstreamClient()
            let cohere = CohereProvider(name: "cohere", baseURL: upstream.baseURL, client: client.client, config: providerConfig(key: "k"))
            let (chunks, error) = await drain(try await cohere.stream(chatRequest("cohere", "command-r", [.text("user", "hi")]),
                                                                     key: ProviderKey(value: "k"), context: BifrostContext()))
            #expect(error == nil)
            #expect(chunks.compactMap { $0.choices.first?.delta?.content?.plainText }.joined() == "Hi")
            #expect(chunks.last?.choices.first?.finishReason == "stop")
        }
    }
}
