@testable import BifrostProviders
import BifrostPluginKit
import Foundation
import Testing

@Suite("OpenAI response decoder: straight from the bytes")
struct OpenAIResponseDecoderTests {
    private let decoder = OpenAIResponseDecoder(request: chatRequest("openai", "gpt-4o", [.text("user", "Hi")]),
                                                provider: "openai", now: 1_700_000_000)

    private func decode(_ json: String) throws(BifrostError) -> BifrostResponse { try decoder.decode(Array(json.utf8)) }

    @Test func readsEveryFieldAndSkipsUnknownAndMistypedMembers() throws {
        let response = try decode(#"""
            {"id":"chatcmpl-1","object":"chat.completion","created":1711111111,"model":"gpt-4o-2024","service_tier":{"a":[1,{"b":null}]},
             "choices":[{"index":0,"logprobs":{"content":[{"token":"Hi","logprob":-0.1,"bytes":[72,105]}]},
                         "message":{"role":"assistant","content":"Hi \"there\" \u00e9","refusal":null,
                                    "tool_calls":[{"id":"call_1","type":"function","function":{"name":"get","arguments":"{\"a\":1}"}},
                                                  {"id":"call_2","function":{"arguments":"{}"}}]},
                         "fin\u0069sh_reason":"tool_calls"},
                        "not an object"],
             "usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15,"prompt_tokens_details":{"cached_tokens":8,"audio_tokens":0}},
             "system_fingerprint":"fp_1"}
            """#)
        #expect(response.id == "chatcmpl-1" && response.created == 1_711_111_111 && response.model == "gpt-4o-2024")
        #expect(response.systemFingerprint == "fp_1")
        #expect(response.choices.count == 2)
        let message = try #require(response.choices.first?.message)
        #expect(message.role == "assistant")
        #expect(message.content == .text("Hi \"there\" é"))
        #expect(message.toolCalls == [ToolCall(id: "call_1", name: "get", arguments: #"{"a":1}"#)])  // the nameless call is dropped
        #expect(response.choices[0].finishReason == "tool_calls")  // an escaped member name still matches
        #expect(response.choices[1].index == 1 && response.choices[1].message == nil)
        #expect(response.usage == Usage(promptTokens: 12, completionTokens: 3, totalTokens: 15, cachedTokens: 8))
        #expect(response.extraFields.provider == "openai" && response.extraFields.model == "gpt-4o")
    }

    @Test func mistypedFieldsCountAsAbsent() throws {
        let response = try decode(#"{"id":5,"created":"soon","model":null,"choices":[{"index":"x","message":{"content":["a"]}}],"usage":[]}"#)
        #expect(response.id == "" && response.created == 1_700_000_000 && response.model == "gpt-4o")
        #expect(response.choices.first?.index == 0 && response.choices.first?.message?.content == nil)
        #expect(response.usage == nil)
    }

    @Test(arguments: [#"{"id":"x","extra":{"a":"\q"}}"#, #"{"choices":[{"logprobs":[1,]}]}"#, #"{"id":"x"} trailing"#, ""])
    func invalidJSONEvenInASkippedMemberIsA502(_ json: String) {
        let error = #expect(throws: BifrostError.self) { try decode(json) }
        #expect(error?.statusCode == 502)
        #expect(error?.error.message.contains("not valid JSON") == true)
    }

    @Test func aNonObjectIsNotACompletion() {
        let error = #expect(throws: BifrostError.self) { try decode("[1,2]") }
        #expect(error?.statusCode == 502)
        #expect(error?.error.message.contains("returned JSON that is not a") == true)
    }

    @Test func embeddingsNeedAnArrayPerItem() throws {
        let embedding = OpenAIResponseDecoder(request: BifrostRequest(provider: "openai", model: "text-embedding-3-small",
                                                                      input: .embedding(["a", "b"])),
                                              provider: "openai", now: 0)
        let response = try embedding.decode(Array(#"{"object":"list","data":[{"index":1,"embedding":[0.5,-1e-3]},{"embedding":[2]}],"model":"m","usage":{"prompt_tokens":2}}"#.utf8))
        #expect(response.data == [Embedding(index: 1, embedding: [0.5, -0.001]), Embedding(index: 1, embedding: [2])])
        #expect(response.model == "m" && response.usage?.promptTokens == 2)
        #expect(throws: BifrostError.self) { try embedding.decode(Array(#"{"data":[{"index":0}]}"#.utf8)) }
        #expect(throws: BifrostError.self) { try embedding.decode(Array(#"{"object":"list","model":"m","data":[{"embedding":[1]},{"embedding":{}}]}"#.utf8)) }
    }

    @Test func embeddingVectorsStayTextAndTheBodyIsKept() throws {
        let embedding = OpenAIResponseDecoder(request: BifrostRequest(provider: "openai", model: "e", input: .embedding(["a"])),
                                              provider: "openai", now: 0)
        let json = #"{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.0123456789,-1.5e-7,"x",3]}],"model":"e-3","usage":{"prompt_tokens":1,"total_tokens":1}}"#
        var response = try embedding.decode(Array(json.utf8))
        #expect(String(decoding: try #require(response.verbatimBody).bytes, as: UTF8.self) == json)
        #expect(String(decoding: try #require(response.deferredData).text.bytes, as: UTF8.self).hasPrefix(#"[{"object":"embedding""#))
        #expect(response.data == [Embedding(index: 0, embedding: [0.0123456789, -1.5e-7, 3])])  // a non-number is skipped, as before
        response.data?[0].index = 4
        #expect(response.deferredData == nil && response.verbatimBody == nil && response.data?.first?.index == 4)
        let unlisted = try embedding.decode(Array(#"{"data":[{"embedding":[1]}]}"#.utf8))  // no object or model: written field by field
        #expect(unlisted.verbatimBody == nil && unlisted.deferredData != nil && unlisted.model == "e")
    }
    // MARK: Text kept for a response that goes out unchanged

    private let complete = #"{"id":"c1","object":"chat.completion","created":7,"model":"m","service_tier":"flex","choices":[{"index":0,"message":{"role":"assistant","content":"Hi","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":2,"completion_tokens":1,"total_tokens":3}}"#

    @Test func choicesStayTextUntilReadAndReadTheSameAsDecoded() throws {
        let response = try decode(complete)
        let deferred = try #require(response.deferredChoices)
        #expect(String(decoding: deferred.text.bytes, as: UTF8.self).hasPrefix(#"[{"index":0,"message""#))
        #expect(response.choices == [Choice(index: 0, message: BifrostMessage(role: "assistant", content: .text("Hi")), finishReason: "stop")])
        #expect(response.deferredChoices != nil)  // reading does not change anything
    }

    @Test func aCompleteBodyIsKeptWholeForCopying() throws {
        let response = try decode(complete)
        let body = try #require(response.verbatimBody)
        #expect(String(decoding: body.bytes, as: UTF8.self) == complete)
        #expect(response.usage?.totalTokens == 3 && response.id == "c1")  // what plugins and metrics read is decoded
    }

    @Test(arguments: [
        #"{"object":"chat.completion","created":7,"model":"m","choices":[]}"#,  // no id: the gateway fills it in
        #"{"id":"c1","object":"chat.completion","model":"m","choices":[]}"#,  // no created
        #"{"id":"c1","object":"chat.completion","created":7,"model":"m","choices":[],"extra_fields":{}}"#,  // would appear twice
    ])
    func anIncompleteBodyIsWrittenFieldByField(_ json: String) throws {
        let response = try decode(json)
        #expect(response.verbatimBody == nil)
        #expect(response.deferredChoices != nil)
    }

    @Test func choicesThatAreNotUTF8AreDecodedAndRepairedAtOnce() throws {
        var bytes = Array(#"{"id":"c1","object":"chat.completion","created":7,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"a"#.utf8)
        bytes += [0xFF] + Array(#""}}]}"#.utf8)
        let response = try decoder.decode(bytes)
        #expect(response.deferredChoices == nil && response.verbatimBody == nil)
        #expect(response.choices.first?.message?.content == .text("a\u{FFFD}"))
    }

    @Test func aBodyNotUTF8OutsideTheChoicesKeepsOnlyTheChoices() throws {
        var bytes = Array(#"{"id":"c1","object":"chat.completion","created":7,"model":"m","note":"a"#.utf8)
        bytes += [0xFF] + Array(#"","choices":[{"index":0,"message":{"role":"assistant","content":"Hi"}}]}"#.utf8)
        let response = try decoder.decode(bytes)
        #expect(response.verbatimBody == nil)
        #expect(response.deferredChoices != nil && response.choices.first?.message?.content == .text("Hi"))
    }

    @Test func changingAFieldDropsTheKeptBodyButNotForExtraFields() throws {
        var response = try decode(complete)
        response.extraFields.latency = 5
        #expect(response.verbatimBody != nil)
        var renamed = response
        renamed.model = "other"
        #expect(renamed.verbatimBody == nil && renamed.deferredChoices != nil)
        #expect(response.verbatimBody != nil)  // the copy it came from keeps it
        var edited = response
        edited.choices[0].finishReason = "length"
        #expect(edited.deferredChoices == nil && edited.verbatimBody == nil)
        #expect(edited.choices[0].finishReason == "length" && edited.choices[0].message?.content == .text("Hi"))
        var undeferred = response
        undeferred.deferredChoices = nil
        #expect(undeferred.deferredChoices == nil && undeferred.choices == response.choices)
    }

    @Test func everyFieldButExtraFieldsDropsTheKeptBodyWhenChanged() throws {
        let response = try decode(complete)
        let changes: [(inout BifrostResponse) -> Void] = [
            { $0.id = "x" }, { $0.object = "x" }, { $0.created = 1 }, { $0.model = "x" }, { $0.choices = [] },
            { $0.usage = nil }, { $0.systemFingerprint = "x" }, { $0.data = [] }, { $0.deferredChoices = nil },
        ]
        for (offset, change) in changes.enumerated() {
            var changed = response
            change(&changed)
            #expect(changed.verbatimBody == nil, "change \(offset)")
        }
    }

    @Test func equalityAndEncodingSeeDecodedChoices() throws {
        let response = try decode(complete)
        var decoded = response
        decoded.choices = response.choices
        #expect(decoded.deferredChoices == nil)
        #expect(response == decoded && response.hashValue == decoded.hashValue)
        let encoded = String(decoding: try JSONEncoder().encode(response), as: UTF8.self)
        #expect(encoded.contains(#""finish_reason":"stop""#))
    }
}
