import BifrostCore
import BifrostHTTP
import BifrostPluginKit
import Testing

@testable import BifrostProviders

/// Converse request and response translation, field by field (shapes from AWS's Converse API reference).
@Suite("Bedrock Converse translation")
struct BedrockCodecTests {
    private let weatherTool = Tool(function: FunctionDefinition(name: "get_weather", description: "Weather",
                                                                parameters: .object(["type": .string("object")])))

    @Test func requestLiftsSystemMapsToolsImagesAndParameters() throws {
        var params = ModelParameters(temperature: 0.2, topP: 0.9, maxTokens: 300, stop: ["END"], tools: [weatherTool],
                                     toolChoice: .function("get_weather"))
        params.extra = ["top_k": .number(40)]
        let request = chatRequest("bedrock", "anthropic.claude-3-haiku-20240307-v1:0", [
            .text("system", "Be brief."),
            BifrostMessage(role: "user", content: .parts([.text("What is this?"), .image(url: "data:image/jpeg;base64,AAAA", detail: nil)])),
            BifrostMessage(role: "assistant", toolCalls: [ToolCall(id: "t1", name: "get_weather", arguments: #"{"city":"Oslo"}"#)]),
            BifrostMessage(role: "tool", content: .text("4 degrees"), toolCallID: "t1"),
            .text("user", "Summarise."),
        ], params: params)
        let body = try jsonObject(try BedrockRequestCodec.requestBody(request, provider: "bedrock"))
        #expect((body["system"] as? [[String: Any]])?.first?["text"] as? String == "Be brief.")
        let messages = try #require(body["messages"] as? [[String: Any]])
        #expect(messages.map { $0["role"] as? String } == ["user", "assistant", "user"])
        let first = try #require(messages[0]["content"] as? [[String: Any]])
        #expect(first[0]["text"] as? String == "What is this?")
        let image = try #require(first[1]["image"] as? [String: Any])
        #expect(image["format"] as? String == "jpeg")
        #expect((image["source"] as? [String: Any])?["bytes"] as? String == "AAAA")
        let use = try #require((messages[1]["content"] as? [[String: Any]])?.first?["toolUse"] as? [String: Any])
        #expect(use["toolUseId"] as? String == "t1")
        #expect((use["input"] as? [String: Any])?["city"] as? String == "Oslo")
        // The tool result and the next user text share one user turn (Bedrock alternates roles).
        let last = try #require(messages[2]["content"] as? [[String: Any]])
        #expect((last[0]["toolResult"] as? [String: Any])?["toolUseId"] as? String == "t1")
        #expect(last[1]["text"] as? String == "Summarise.")
        let inference = try #require(body["inferenceConfig"] as? [String: Any])
        #expect(inference["maxTokens"] as? Int == 300)
        #expect(inference["temperature"] as? Double == 0.2)
        #expect(inference["topP"] as? Double == 0.9)
        #expect(inference["stopSequences"] as? [String] == ["END"])
        let tools = try #require(body["toolConfig"] as? [String: Any])
        #expect(((tools["tools"] as? [[String: Any]])?.first?["toolSpec"] as? [String: Any])?["name"] as? String == "get_weather")
        #expect(((tools["toolChoice"] as? [String: Any])?["tool"] as? [String: Any])?["name"] as? String == "get_weather")
        #expect((body["additionalModelRequestFields"] as? [String: Any])?["top_k"] as? Int == 40)
    }

    @Test func linkedImagesAreA400NamingThePart() {
        let request = chatRequest("bedrock", "m", [BifrostMessage(role: "user", content: .parts([.image(url: "https://x/y.png", detail: nil)]))])
        #expect(throws: BifrostError.self) { try BedrockRequestCodec.requestBody(request, provider: "bedrock") }
    }

    @Test func responseTextToolUseStopReasonAndUsage() throws {
        let value = try json(#"""
        {"output":{"message":{"role":"assistant","content":[{"text":"Let me check."},
          {"toolUse":{"toolUseId":"tooluse_1","name":"get_weather","input":{"city":"Oslo"}}}]}},
         "stopReason":"tool_use","usage":{"inputTokens":20,"outputTokens":9,"totalTokens":29,"cacheReadInputTokens":5},
         "metrics":{"latencyMs":321}}
        """#)
        let response = try BedrockResponseCodec.response(value, request: chatRequest("bedrock", "m", [.text("user", "hi")]),
                                                         provider: "bedrock", now: 1)
        let choice = try #require(response.choices.first)
        #expect(choice.finishReason == "tool_calls")
        #expect(choice.message?.content?.plainText == "Let me check.")
        #expect(choice.message?.toolCalls?.first?.id == "tooluse_1")
        #expect(choice.message?.toolCalls?.first?.function.arguments == #"{"city":"Oslo"}"#)
        #expect(response.usage == Usage(promptTokens: 25, completionTokens: 9, cachedTokens: 5))
        #expect(response.extraFields.provider == "bedrock")
    }

    @Test(arguments: [("ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/", 400, 429),
                      ("ValidationException", 400, 400), ("AccessDeniedException", 403, 403),
                      ("ServiceUnavailableException", 503, 503), ("", 418, 418)])
    func errorTypesMapToStatuses(_ type: String, _ status: Int, _ expected: Int) {
        var headers = HTTPHeaders()
        if !type.isEmpty { headers.add(name: "x-amzn-ErrorType", value: type) }
        let error = BedrockResponseCodec.upstreamError(status: status, body: Array(#"{"message":"nope"}"#.utf8), headers: headers,
                                                       provider: "bedrock")
        #expect(error.statusCode == expected)
        #expect(error.error.message == "nope")
    }

    @Test func streamEventsBecomeChunksWithToolIndexesAndUsage() throws {
        var translator = BedrockStreamTranslator(provider: "bedrock", model: "m", created: 1)
        func event(_ type: String, _ payload: String) -> AWSEventMessage {
            AWSEventMessage(headers: [":event-type": type, ":message-type": "event"], payload: Array(payload.utf8))
        }
        let chunks = try [
            event("messageStart", #"{"role":"assistant"}"#),
            event("contentBlockDelta", #"{"contentBlockIndex":0,"delta":{"text":"Hi"}}"#),
            event("contentBlockStop", #"{"contentBlockIndex":0}"#),
            event("contentBlockStart", #"{"contentBlockIndex":1,"start":{"toolUse":{"toolUseId":"t9","name":"get_weather"}}}"#),
            event("contentBlockDelta", #"{"contentBlockIndex":1,"delta":{"toolUse":{"input":"{\"city\":"}}}"#),
            event("contentBlockDelta", #"{"contentBlockIndex":1,"delta":{"toolUse":{"input":"\"Oslo\"}"}}}"#),
            event("messageStop", #"{"stopReason":"tool_use"}"#),
        ].compactMap { try translator.translate($0) }
        #expect(!translator.isFinished)
        let usage = try translator.translate(event("metadata", #"{"usage":{"inputTokens":3,"outputTokens":4,"totalTokens":7}}"#))
        #expect(translator.isFinished)
        #expect(usage?.usage?.completionTokens == 4)
        #expect(chunks.count == 6)
        #expect(chunks[1].choices.first?.delta?.content?.plainText == "Hi")
        let calls = chunks.compactMap { $0.choices.first?.delta?.toolCalls?.first }
        #expect(calls.map(\.id) == ["t9", "t9", "t9"])
        #expect(calls.map(\.index) == [0, 0, 0])
        #expect(calls.map(\.function.arguments).joined() == #"{"city":"Oslo"}"#)
        #expect(chunks.last?.choices.first?.finishReason == "tool_calls")
    }

    @Test func streamExceptionsAreThrownWithTheirStatus() {
        var translator = BedrockStreamTranslator(provider: "bedrock", model: "m", created: 1)
        let exception = AWSEventMessage(headers: [":exception-type": "throttlingException", ":message-type": "exception"],
                                        payload: Array(#"{"message":"Too many requests"}"#.utf8))
        do {
            _ = try translator.translate(exception)
            Issue.record("expected a throw")
        } catch let error as BifrostError {
            #expect(error.statusCode == 429)
            #expect(error.error.message == "Too many requests")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
