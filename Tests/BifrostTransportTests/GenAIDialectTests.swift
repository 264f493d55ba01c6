@testable import BifrostTransport
import BifrostPluginKit
import Foundation
import Testing

@Suite("GenAI drop-in route: Gemini requests in, Gemini responses and events out")
struct GenAIDialectTests {
    @Test(arguments: [
        ("/genai/v1beta/models/gemini-2.0-flash:generateContent", "gemini-2.0-flash", false),
        ("/genai/v1beta/models/openai/gpt-4o-mini:streamGenerateContent", "openai/gpt-4o-mini", true),
    ])
    func modelAndMethodComeFromThePath(_ path: String, _ model: String, _ stream: Bool) throws {
        let target = try #require(GenAIDialect.target(path: path[...]))
        #expect(target.model == model)
        #expect(target.stream == stream)
    }

    @Test func unknownMethodsAreNotRoutes() {
        #expect(GenAIDialect.target(path: "/genai/v1beta/models/gemini:countTokens") == nil)
        #expect(GenAIDialect.target(path: "/genai/v1beta/models/:generateContent") == nil)
    }

    @Test func contentsSystemImagesFunctionsAndConfigMapAcross() throws {
        let request = try GenAIRequestDecoder.decode(Array(#"""
        {"systemInstruction":{"parts":[{"text":"Be brief."}]},
         "contents":[
          {"role":"user","parts":[{"text":"What is this?"},{"inlineData":{"mimeType":"image/png","data":"QUJD"}}]},
          {"role":"model","parts":[{"functionCall":{"name":"get_weather","args":{"city":"Oslo"}}}]},
          {"role":"user","parts":[{"functionResponse":{"name":"get_weather","response":{"temp":4}}}]}],
         "generationConfig":{"temperature":0.5,"maxOutputTokens":80,"stopSequences":["END"],"topK":3},
         "tools":[{"functionDeclarations":[{"name":"get_weather","parameters":{"type":"object"}}]}],
         "toolConfig":{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["get_weather"]}},
         "safetySettings":[{"category":"HARM_CATEGORY_HATE_SPEECH","threshold":"BLOCK_NONE"}]}
        """#.utf8), model: "gemini-2.0-flash", stream: false, knownProviders: ["gemini", "openai"])
        #expect(request.provider == "gemini")
        #expect(request.model == "gemini-2.0-flash")
        guard case .chat(let messages) = request.input else { Issue.record("not a chat"); return }
        #expect(messages.map(\.role) == ["system", "user", "assistant", "tool"])
        #expect(messages[1].content == .parts([.text("What is this?"), .image(url: "data:image/png;base64,QUJD", detail: nil)]))
        let call = try #require(messages[2].toolCalls?.first)
        #expect(call.function.arguments == #"{"city":"Oslo"}"#)
        #expect(messages[3].toolCallID == call.id)  // the result answers the call of the same name
        #expect(messages[3].content?.plainText == #"{"temp":4}"#)
        #expect(request.params.temperature == 0.5)
        #expect(request.params.maxTokens == 80)
        #expect(request.params.stop == ["END"])
        #expect(request.params.topK == 3)
        #expect(request.params.toolChoice == .function("get_weather"))
        #expect(request.params.extra["safetySettings"] != nil)  // Gemini answers: its own fields pass through
    }

    @Test func anotherProviderBehindTheRouteGetsNoGeminiOnlyFields() throws {
        let request = try GenAIRequestDecoder.decode(Array(#"{"contents":[{"parts":[{"text":"hi"}]}],"safetySettings":[]}"#.utf8),
                                                     model: "openai/gpt-4o-mini", stream: true, knownProviders: ["openai"])
        #expect(request.provider == "openai")
        #expect(request.model == "gpt-4o-mini")
        #expect(request.stream)
        #expect(request.params.extra.isEmpty)
    }

    @Test func missingContentsNamesTheField() {
        #expect(throws: RequestValidationError.self) {
            try GenAIRequestDecoder.decode(Array("{}".utf8), model: "g", stream: false, knownProviders: [])
        }
    }

    @Test func responsesHaveGeminisShape() throws {
        let response = BifrostResponse(
            id: "r1", object: "chat.completion", created: 1, model: "gpt-4o-mini",
            choices: [Choice(message: BifrostMessage(role: "assistant", content: .text("Checking."),
                                                     toolCalls: [ToolCall(id: "c", name: "get_weather", arguments: #"{"city":"Oslo"}"#)]),
                             finishReason: "length")],
            usage: Usage(promptTokens: 4, completionTokens: 6), extraFields: ExtraFields(provider: "openai", model: "gpt-4o-mini"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(GenAIDialect(model: "m", stream: false, knownProviders: [])
            .response(response).body)) as? [String: Any])
        let candidate = try #require((json["candidates"] as? [[String: Any]])?.first)
        #expect(candidate["finishReason"] as? String == "MAX_TOKENS")
        let parts = try #require((candidate["content"] as? [String: Any])?["parts"] as? [[String: Any]])
        #expect(parts[0]["text"] as? String == "Checking.")
        #expect(((parts[1]["functionCall"] as? [String: Any])?["args"] as? [String: Any])?["city"] as? String == "Oslo")
        #expect((json["usageMetadata"] as? [String: Any])?["totalTokenCount"] as? Int == 10)
    }

    @Test func streamSendsTextThenAssembledCallsFinishAndUsage() throws {
        var events = GenAIEvents()
        func chunk(_ delta: BifrostMessage, finish: String? = nil, usage: Usage? = nil) -> BifrostResponse {
            BifrostResponse(id: "s", object: "chat.completion.chunk", created: 1, model: "m", choices: [Choice(delta: delta, finishReason: finish)],
                            usage: usage, extraFields: ExtraFields(provider: "openai", model: "m"))
        }
        var out = events.chunk(chunk(.text("assistant", "Hel")))
        out += events.chunk(chunk(BifrostMessage(role: "", content: .text("lo"))))
        out += events.chunk(chunk(BifrostMessage(role: "", toolCalls: [ToolCall(id: "c1", name: "f", arguments: #"{"a""#, index: 0)])))
        out += events.chunk(chunk(BifrostMessage(role: "", toolCalls: [ToolCall(id: "", name: "", arguments: ":1}", index: 0)])))
        out += events.chunk(chunk(BifrostMessage(role: ""), finish: "tool_calls", usage: Usage(promptTokens: 1, completionTokens: 2)))
        out += events.end()
        let payloads = String(decoding: out, as: UTF8.self).components(separatedBy: "\r\n\r\n").filter { !$0.isEmpty }
            .map { try? JSONSerialization.jsonObject(with: Data($0.dropFirst(6).utf8)) as? [String: Any] }
        #expect(payloads.count == 3)
        func parts(_ index: Int) -> [[String: Any]] {
            (((payloads[index]?["candidates"] as? [[String: Any]])?.first?["content"] as? [String: Any])?["parts"] as? [[String: Any]]) ?? []
        }
        #expect(parts(0).first?["text"] as? String == "Hel")
        #expect(parts(1).first?["text"] as? String == "lo")
        #expect(((parts(2).first?["functionCall"] as? [String: Any])?["args"] as? [String: Any])?["a"] as? Int == 1)
        #expect((payloads[2]?["candidates"] as? [[String: Any]])?.first?["finishReason"] as? String == "STOP")
        #expect((payloads[2]?["usageMetadata"] as? [String: Any])?["totalTokenCount"] as? Int == 3)
    }

    @Test func errorsUseGooglesShape() throws {
        let body = GenAIWire.error(BifrostError(message: "slow down", statusCode: 429))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
        let error = try #require(json["error"] as? [String: Any])
        #expect(error["code"] as? Int == 429)
        #expect(error["status"] as? String == "RESOURCE_EXHAUSTED")
        #expect(error["message"] as? String == "slow down")
    }
}
