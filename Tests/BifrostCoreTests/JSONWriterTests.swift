import BifrostCore
import BifrostPluginKit
import Foundation
import Testing

@Suite("Hand-written response JSON")
struct JSONWriterTests {
    private func parse(_ bytes: [UInt8]) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    @Test func chatCompletionRoundTripsWithEscapesToolCallsAndUsage() throws {
        let message = BifrostMessage(role: "assistant", content: nil,
                                     toolCalls: [ToolCall(id: "call_1", name: "get_weather", arguments: #"{"city":"Zürich \"old\"\n"}"#)])
        let response = BifrostResponse(id: "chatcmpl-1", object: "chat.completion", created: 1_700_000_000, model: "gpt-4o-mini",
                                       choices: [Choice(message: message, finishReason: "tool_calls"),
                                                 Choice(index: 1, message: .text("assistant", "tab\there \u{01} \\ /"), finishReason: "stop")],
                                       usage: Usage(promptTokens: 5, completionTokens: 7, cachedTokens: 2),
                                       extraFields: ExtraFields(provider: "openai", model: "gpt-4o-mini", latency: 12,
                                                                rawResponse: .object(["a": .array([.number(1.5), .bool(true), .null])])))
        let json = try parse(JSONWriter.encode(response))
        #expect(json["id"] as? String == "chatcmpl-1")
        #expect(json["created"] as? Int == 1_700_000_000)
        let choices = try #require(json["choices"] as? [[String: Any]])
        #expect(choices.count == 2)
        let first = try #require(choices[0]["message"] as? [String: Any])
        #expect(first["content"] is NSNull)
        let call = try #require((first["tool_calls"] as? [[String: Any]])?.first)
        #expect(call["index"] == nil)  // only stream deltas carry an index
        #expect((call["function"] as? [String: Any])?["arguments"] as? String == #"{"city":"Zürich \"old\"\n"}"#)
        #expect((choices[1]["message"] as? [String: Any])?["content"] as? String == "tab\there \u{01} \\ /")
        #expect((json["usage"] as? [String: Any])?["total_tokens"] as? Int == 12)
        let extra = try #require(json["extra_fields"] as? [String: Any])
        #expect(extra["latency"] as? Int == 12)
        #expect(((extra["raw_response"] as? [String: Any])?["a"] as? [Any])?.count == 3)
    }

    @Test(arguments: [
        ("plain", #""plain""#),
        ("", #""""#),
        ("\"quoted\" in \\ middle", #""\"quoted\" in \\ middle""#),
        ("\n\r\t\u{01}\u{1F}", #""\n\r\t\u0001\u001f""#),
        ("end \"", #""end \"""#),
        ("Zürich 日本 🚀", "\"Zürich 日本 🚀\""),
    ])
    func stringsAreEscapedExactly(_ input: String, _ expected: String) {
        var writer = JSONWriter()
        writer.json(.string(input))
        #expect(String(decoding: writer.bytes, as: UTF8.self) == expected)
    }

    @Test func streamChunkDeltaAndEmbeddingsAreWritten() throws {
        let chunk = BifrostResponse(id: "c", object: "chat.completion.chunk", created: 1, model: "m",
                                    choices: [Choice(delta: BifrostMessage(role: "", content: .text("Hel")))],
                                    extraFields: ExtraFields(provider: "openai", model: "m"))
        let delta = try #require((try parse(JSONWriter.encode(chunk))["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any])
        #expect(delta["content"] as? String == "Hel")
        #expect(delta["role"] == nil)
        let embeddings = BifrostResponse(id: "", object: "list", created: 1, model: "e",
                                         data: [Embedding(index: 0, embedding: [0.25, -1, 3e-7])], extraFields: ExtraFields(provider: "openai", model: "e"))
        let vector = try #require(((try parse(JSONWriter.encode(embeddings))["data"] as? [[String: Any]])?.first?["embedding"]) as? [Double])
        #expect(vector == [0.25, -1, 3e-7])
    }

    @Test func streamedToolCallDeltasCarryTheirIndex() throws {
        let pieces = [ToolCall(id: "call_a", name: "get_weather", arguments: "", index: 0),
                      ToolCall(id: "", name: "", arguments: #"{"city""#, index: 1)]
        let chunk = BifrostResponse(id: "c", object: "chat.completion.chunk", created: 1, model: "m",
                                    choices: [Choice(delta: BifrostMessage(role: "", toolCalls: pieces))],
                                    extraFields: ExtraFields(provider: "openai", model: "m"))
        let delta = try #require((try parse(JSONWriter.encode(chunk))["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any])
        let calls = try #require(delta["tool_calls"] as? [[String: Any]])
        #expect(calls.map { $0["index"] as? Int } == [0, 1])
        #expect(calls.map { $0["id"] as? String } == ["call_a", ""])
        #expect((calls[1]["function"] as? [String: Any])?["arguments"] as? String == #"{"city""#)
    }

    @Test func errorsHaveBifrostsShape() throws {
        let error = BifrostError(message: "bad \"thing\"", type: "invalid_request_error", code: "x", param: "model", statusCode: 400)
        let json = try parse(JSONWriter.encode(error))
        #expect(json["is_bifrost_error"] as? Bool == true)
        #expect(json["status_code"] as? Int == 400)
        let detail = try #require(json["error"] as? [String: Any])
        #expect(detail["message"] as? String == "bad \"thing\"")
        #expect(detail["param"] as? String == "model")
    }

    @Test func outputLargerThanTheInitialCapacityIsWrittenWhole() throws {
        // Escapes, numbers and long runs cross the storage's growth points in every position.
        let text = String(repeating: "ab\"c\u{01}\\ 日本\n", count: 500)
        var writer = JSONWriter(capacity: 1)
        writer.open()
        for index in 0..<200 { writer.member("n", -index * 1_000_003) }
        writer.member("text", text)
        writer.key("long_key_name_that_alone_is_longer_than_the_initial_capacity")
        writer.number(2.5)
        writer.close()
        let json = try parse(writer.bytes)
        #expect(json["text"] as? String == text)
        #expect(json["long_key_name_that_alone_is_longer_than_the_initial_capacity"] as? Double == 2.5)
        let output = String(decoding: writer.bytes, as: UTF8.self)
        #expect(output.hasPrefix(#"{"n":0,"n":-1000003,"n":-2000006,"#))
        #expect(output.components(separatedBy: #""n":"#).count == 201)
    }

    @Test func numbersAreWrittenAsSwiftsShortestRoundTripText() {
        var values: [Double] = [0.7, -0.7, 0.1, 0.2, 0.3, 1.5, 2.25, 0.05, 0.0001, 0.00012, 0.00001, 1e-7, 123.456, -98.7654,
                                0.999999, 1.0000001, 999_999_999.5, 1e9 + 0.5, 1e15, 1e16, 1e300, .leastNonzeroMagnitude, 0.1 + 0.2,
                                Double.pi, 1.0 / 3.0, 2.675, 0, -0.0, 42, 1e-4 * 3]
        var generator = SystemRandomNumberGenerator()
        for decimals in 1...7 {  // short decimals, the fast path's domain and one place beyond it
            let scale = pow(10, Double(decimals))
            for _ in 0..<300 { values.append(Double(Int.random(in: -10_000_000...10_000_000, using: &generator)) / scale) }
        }
        for _ in 0..<300 { values.append(Double.random(in: -1e6...1e6, using: &generator)) }
        for value in values {
            var writer = JSONWriter()
            writer.number(value)
            let written = String(decoding: writer.bytes, as: UTF8.self)
            let expected = value.rounded() == value && abs(value) < 1e15 ? String(Int(value)) : "\(value)"
            #expect(written == expected, "\(value)")
            #expect(Double(written) == value, "\(value) reads back")
        }
    }
    // MARK: Provider text copied

    private func text(_ json: String) throws -> JSONText {
        let bytes = Array(json.utf8)
        return try #require(JSONText(source: bytes, range: 0..<bytes.count))
    }

    @Test func aKeptProviderBodyIsCopiedWithExtraFieldsAdded() throws {
        let body = #"{"id":"c1","object":"chat.completion","created":7,"model":"m","service_tier":"flex","choices":[] }"# + "\n"
        var response = BifrostResponse(id: "c1", object: "chat.completion", created: 7, model: "m",
                                       extraFields: ExtraFields(provider: "openai", model: "m", latency: 3))
        response.verbatimBody = try text(body)
        let written = String(decoding: JSONWriter.encode(response), as: UTF8.self)
        #expect(written == #"{"id":"c1","object":"chat.completion","created":7,"model":"m","service_tier":"flex","choices":[],"extra_fields":{"provider":"openai","model":"m","latency":3}}"#)
        response.model = "changed"  // now written from the fields: the member the gateway does not model is gone
        let json = try parse(JSONWriter.encode(response))
        #expect(json["model"] as? String == "changed" && json["service_tier"] == nil)
    }

    @Test func aKeptBodyThatIsNotAnObjectIsNotCopied() throws {
        var response = BifrostResponse(id: "c1", object: "chat.completion", created: 7, model: "m",
                                       extraFields: ExtraFields(provider: "openai", model: "m"))
        response.verbatimBody = try text("[1,2]")
        let json = try parse(JSONWriter.encode(response))
        #expect(json["id"] as? String == "c1" && json["extra_fields"] != nil)
    }

    @Test func deferredChoicesAreCopiedAsTheyCame() throws {
        let choices = #"[{"index":0,"message":{"role":"assistant","content":"Hi","annotations":[]},"logprobs":null,"finish_reason":"stop"}]"#
        var response = BifrostResponse(id: "c1", object: "chat.completion", created: 7, model: "m",
                                       extraFields: ExtraFields(provider: "openai", model: "m"))
        response.deferredChoices = DeferredJSON(try text(choices)) { _ in [] }
        let written = String(decoding: JSONWriter.encode(response), as: UTF8.self)
        #expect(written.contains(#""choices":"# + choices + ","))
    }

    @Test func deferredEmbeddingsAreCopiedAsTheyCame() throws {
        let data = #"[{"object":"embedding","index":0,"embedding":[0.0123456789,-1.5e-7]}]"#
        var response = BifrostResponse(id: "", object: "list", created: 7, model: "e", extraFields: ExtraFields(provider: "openai", model: "e"))
        response.deferredData = DeferredJSON(try text(data)) { _ in [] }
        #expect(String(decoding: JSONWriter.encode(response), as: UTF8.self).contains(#""data":"# + data + ","))
    }

    @Test func textThatIsNotUTF8IsRefused() {
        #expect(JSONText(source: [0x22, 0xC3, 0x22], range: 0..<3) == nil)  // a lead byte without its continuation
        #expect(JSONText(source: Array(#""Zürich, 東京""#.utf8), range: 0..<17) != nil)
    }
}
