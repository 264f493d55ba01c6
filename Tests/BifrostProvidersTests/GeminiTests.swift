import BifrostCore
import BifrostHTTP
import BifrostPluginKit
import Testing

@testable import BifrostProviders

/// Gemini translation, field by field (shapes from Google's generateContent reference).
@Suite("Gemini translation")
struct GeminiCodecTests {
    @Test func requestMapsSystemTurnsImagesToolsAndConfig() throws {
        var params = ModelParameters(temperature: 0.4, topK: 20, maxTokens: 100, stop: ["END"],
                                     tools: [Tool(function: FunctionDefinition(name: "get_weather", parameters: .object(["type": .string("object")])))],
                                     toolChoice: .function("get_weather"))
        params.extra = ["safetySettings": .array([.object(["category": .string("HARM_CATEGORY_HATE_SPEECH")])])]
        let request = chatRequest("gemini", "gemini-2.0-flash", [
            .text("system", "Be brief."),
            BifrostMessage(role: "user", content: .parts([.text("Look"), .image(url: "data:image/png;base64,QUJD", detail: nil),
                                                        .image(url: "https://example.com/a.jpg", detail: nil)])),
            BifrostMessage(role: "assistant", toolCalls: [ToolCall(id: "call_7", name: "get_weather", arguments: #"{"city":"Oslo"}"#)]),
            BifrostMessage(role: "tool", content: .text("4 degrees"), toolCallID: "call_7"),
        ], params: params)
        let body = try jsonObject(try GeminiRequestCodec.requestBody(request, provider: "gemini"))
        #expect(((body["systemInstruction"] as? [String: Any])?["parts"] as? [[String: Any]])?.first?["text"] as? String == "Be brief.")
        let contents = try #require(body["contents"] as? [[String: Any]])
        #expect(contents.map { $0["role"] as? String } == ["user", "model", "user"])
        let first = try #require(contents[0]["parts"] as? [[String: Any]])
        #expect((first[1]["inlineData"] as? [String: Any])?["mimeType"] as? String == "image/png")
        #expect((first[1]["inlineData"] as? [String: Any])?["data"] as? String == "QUJD")
        #expect((first[2]["fileData"] as? [String: Any])?["fileUri"] as? String == "https://example.com/a.jpg")
        let call = try #require((contents[1]["parts"] as? [[String: Any]])?.first?["functionCall"] as? [String: Any])
        #expect(call["name"] as? String == "get_weather")
        #expect((call["args"] as? [String: Any])?["city"] as? String == "Oslo")
        let result = try #require((contents[2]["parts"] as? [[String: Any]])?.first?["functionResponse"] as? [String: Any])
        #expect(result["name"] as? String == "get_weather")  // found from the call the result answers
        #expect((result["response"] as? [String: Any])?["result"] as? String == "4 degrees")
        let config = try #require(body["generationConfig"] as? [String: Any])
        #expect(config["maxOutputTokens"] as? Int == 100)
        #expect(config["topK"] as? Int == 20)
        #expect(config["stopSequences"] as? [String] == ["END"])
        let declarations = (body["tools"] as? [[String: Any]])?.first?["functionDeclarations"] as? [[String: Any]]
        #expect(declarations?.first?["name"] as? String == "get_weather")
        let calling = (body["toolConfig"] as? [String: Any])?["functionCallingConfig"] as? [String: Any]
        #expect(calling?["mode"] as? String == "ANY")
        #expect(calling?["allowedFunctionNames"] as? [String] == ["get_weather"])
        #expect((body["safetySettings"] as? [[String: Any]])?.count == 1)
    }

    @Test func responseTextCallsFinishReasonsAndUsage() throws {
        let value = try json(#"""
        {"candidates":[{"content":{"role":"model","parts":[{"text":"Checking."},{"functionCall":{"name":"get_weather","args":{"city":"Oslo"}}}]},
          "finishReason":"STOP"}],
         "usageMetadata":{"promptTokenCount":12,"candidatesTokenCount":5,"totalTokenCount":17,"cachedContentTokenCount":4},
         "modelVersion":"gemini-2.0-flash-001","responseId":"abc"}
        """#)
        let response = try GeminiResponseCodec.response(value, request: chatRequest("gemini", "gemini-2.0-flash", [.text("user", "hi")]),
                                                        provider: "gemini", now: 1)
        let choice = try #require(response.choices.first)
        #expect(choice.finishReason == "tool_calls")
        #expect(choice.message?.content?.plainText == "Checking.")
        #expect(choice.message?.toolCalls?.first?.function.arguments == #"{"city":"Oslo"}"#)
        #expect(choice.message?.toolCalls?.first?.index == nil)
        #expect(response.usage == Usage(promptTokens: 12, completionTokens: 5, totalTokens: 17, cachedTokens: 4))
        #expect(response.id == "abc")
    }

    @Test(arguments: [("SAFETY", "content_filter"), ("RECITATION", "content_filter"), ("MAX_TOKENS", "length"), ("STOP", "stop")])
    func finishReasonsMapAcross(_ reason: String, _ expected: String) {
        #expect(GeminiResponseCodec.finishReason(reason, hasCalls: false) == expected)
    }

    @Test func aBlockedPromptIsAnEmptyContentFilteredAnswer() throws {
        let value = try json(#"{"promptFeedback":{"blockReason":"SAFETY"},"usageMetadata":{"promptTokenCount":3,"totalTokenCount":3}}"#)
        let response = try GeminiResponseCodec.response(value, request: chatRequest("gemini", "m", [.text("user", "x")]), provider: "gemini", now: 1)
        #expect(response.choices.first?.finishReason == "content_filter")
        #expect(response.choices.first?.message?.content?.plainText == "")
    }

    @Test func streamChunksEndAtTheFinishReasonWithToolIndexes() throws {
        var translator = GeminiStreamTranslator(provider: "gemini", model: "m", created: 1)
        let first = try translator.translate(Array(#"{"candidates":[{"content":{"role":"model","parts":[{"text":"Hel"}]}}]}"#.utf8))
        #expect(first?.choices.first?.delta?.role == "assistant")
        #expect(!translator.isFinished)
        let last = try translator.translate(Array(#"""
        {"candidates":[{"content":{"role":"model","parts":[{"text":"lo"},{"functionCall":{"name":"f","args":{}}}]},"finishReason":"STOP"}],
         "usageMetadata":{"promptTokenCount":2,"candidatesTokenCount":3,"totalTokenCount":5}}
        """#.utf8))
        #expect(translator.isFinished)
        #expect(last?.choices.first?.delta?.role == "")
        #expect(last?.choices.first?.delta?.toolCalls?.first?.index == 0)
        #expect(last?.choices.first?.finishReason == "tool_calls")
        #expect(last?.usage?.totalTokens == 5)
        #expect(throws: BifrostError.self) {
            try translator.translate(Array(#"{"error":{"code":503,"message":"overloaded","status":"UNAVAILABLE"}}"#.utf8))
        }
    }
}

extension LiveProviderTests {
    @Suite("Gemini provider over HTTPS")
    struct GeminiProviderTests {
        @Test func generateContentURLKeyHeaderAndAnswer() async throws {
            let upstream = try CaptureServer(body: #"{"candidates":[{"content":{"role":"model","parts":[{"text":"Hi there"}]},"finishReason":"STOP"}]}"#)
            let client = try TestUpstreamClient()
            let gemini = GeminiProvider(name: "gemini", baseURL: upstream.baseURL, client: client.client,
                                        config: providerConfig(key: "AIza-test", baseURL: upstream.baseURL))
            let response = try await gemini.complete(chatRequest("gemini", "gemini-2.0-flash", [.text("user", "hi")]),
                                                     key: ProviderKey(value: "AIza-test"), context: BifrostContext())
            #expect(response.choices.first?.message?.content?.plainText == "Hi there")
            let sent = try #require(upstream.recorded.last)
            #expect(sent.target == "/v1beta/models/gemini-2.0-flash:generateContent")
            #expect(sent.headers["x-goog-api-key"] == "AIza-test")
            #expect(sent.headers["authorization"] == nil)
        }

        @Test func streamGenerateContentEndsWithoutAMarker() async throws {
            let events = "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hel\"}]}}]}\r\n\r\n"
                + "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"lo\"}]},\"finishReason\":\"STOP\"}]}\r\n\r\n"
            let upstream = try CaptureServer(body: events, eventStream: true)
            let client = try TestUpstreamClient()
            let gemini = GeminiProvider(name: "gemini", baseURL: upstream.baseURL + "/v1beta", client: client.client,
                                        config: providerConfig(key: "AIza-test"))
            let (chunks, error) = await drain(try await gemini.stream(chatRequest("gemini", "models/gemini-2.0-flash", [.text("user", "hi")]),
                                                                     key: ProviderKey(value: "AIza-test"), context: BifrostContext()))
            #expect(error == nil)
            #expect(chunks.compactMap { $0.choices.first?.delta?.content?.plainText }.joined() == "Hello")
            #expect(upstream.recorded.last?.target == "/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse")
        }

        @Test func googleErrorsKeepTheirStatusAndMessage() async throws {
            let upstream = try CaptureServer(status: 400, body: #"{"error":{"code":400,"message":"API key not valid.","status":"INVALID_ARGUMENT"}}"#)
            let client = try TestUpstreamClient()
            let gemini = GeminiProvider(name: "gemini", baseURL: upstream.baseURL, client: client.client, config: providerConfig(key: "bad"))
            let error = await expectBifrostError {
                _ = try await gemini.complete(chatRequest("gemini", "gemini-2.0-flash", [.text("user", "hi")]), key: ProviderKey(value: "bad"),
                                              context: BifrostContext())
            }
            #expect(error?.statusCode == 400)
            #expect(error?.error.message == "API key not valid.")
        }
    }
}
