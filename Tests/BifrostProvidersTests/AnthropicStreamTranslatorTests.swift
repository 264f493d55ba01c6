import BifrostPluginKit
import Testing

@testable import BifrostProviders

/// Stream events as Anthropic's streaming reference shows them, translated into OpenAI chunks.
@Suite("Anthropic stream translation")
struct AnthropicStreamTranslatorTests {
    /// Text, then two tool calls whose input arrives in `input_json_delta` pieces.
    static let toolStream = [
        #"{"type":"message_start","message":{"id":"msg_S","type":"message","role":"assistant","model":"claude-sonnet-4-20250514","content":[],"stop_reason":null,"usage":{"input_tokens":25,"output_tokens":1,"cache_read_input_tokens":5}}}"#,
        #"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
        #"{"type":"ping"}"#,
        #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Checking"}}"#,
        #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" both."}}"#,
        #"{"type":"content_block_stop","index":0}"#,
        #"{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_P","name":"get_weather","input":{}}}"#,
        #"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}}"#,
        #"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"city\": \"Pa"}}"#,
        #"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"ris\"}"}}"#,
        #"{"type":"content_block_stop","index":1}"#,
        #"{"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_R","name":"get_weather","input":{}}}"#,
        #"{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"city\":\"Rome\"}"}}"#,
        #"{"type":"content_block_stop","index":2}"#,
        #"{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":89}}"#,
        #"{"type":"message_stop"}"#,
    ]

    private func translateAll(_ events: [String], kind: RequestKind = .chatCompletion) throws
        -> (chunks: [BifrostResponse], finished: Bool) {
        var translator = AnthropicStreamTranslator(provider: "anthropic", model: "claude", created: 1_700_000_000, kind: kind)
        var chunks: [BifrostResponse] = []
        for event in events {
            if let chunk = try translator.translate(Array(event.utf8)) { chunks.append(chunk) }
        }
        return (chunks, translator.isFinished)
    }

    @Test func textAndToolUseBecomeOpenAIChunks() throws {
        let (chunks, finished) = try translateAll(Self.toolStream)
        #expect(finished)
        // role, 2 text deltas, 2 tool starts, 4 argument pieces, the finish chunk.
        #expect(chunks.count == 10)
        #expect(chunks.allSatisfy { $0.id == "msg_S" && $0.object == "chat.completion.chunk" && $0.created == 1_700_000_000 })
        #expect(chunks.allSatisfy { $0.model == "claude-sonnet-4-20250514" && $0.extraFields.model == "claude" })
        #expect(chunks[0].choices[0].delta == BifrostMessage(role: "assistant", content: .text("")))
        #expect(chunks[1].choices[0].delta?.content == .text("Checking"))
        #expect(chunks[2].choices[0].delta?.content == .text(" both."))

        let first = try #require(chunks[3].choices[0].delta?.toolCalls?.first)
        #expect(first == ToolCall(id: "toolu_P", name: "get_weather", arguments: "", index: 0))
        let pieces = chunks[4...6].map { $0.choices[0].delta?.toolCalls?.first }
        #expect(pieces.map { $0?.id } == ["toolu_P", "toolu_P", "toolu_P"])
        // OpenAI's `index` is the call's position among the tool calls (the text block does not count).
        #expect(pieces.map { $0?.index } == [0, 0, 0])
        #expect(pieces.map { $0?.function.arguments ?? "" }.joined() == #"{"city": "Paris"}"#)
        #expect(chunks[7].choices[0].delta?.toolCalls?.first == ToolCall(id: "toolu_R", name: "get_weather", arguments: "", index: 1))
        #expect(chunks[8].choices[0].delta?.toolCalls?.first?.id == "toolu_R")
        #expect(chunks[8].choices[0].delta?.toolCalls?.first?.index == 1)
        #expect(chunks[8].choices[0].delta?.toolCalls?.first?.function.arguments == #"{"city":"Rome"}"#)
        #expect(chunks[0..<9].allSatisfy { $0.usage == nil && $0.choices[0].finishReason == nil })

        let last = chunks[9]
        #expect(last.choices[0].finishReason == "tool_calls")
        #expect(last.choices[0].delta == BifrostMessage(role: ""))
        #expect(last.usage == Usage(promptTokens: 30, completionTokens: 89, cachedTokens: 5))
    }

    @Test func midStreamErrorIsThrown() throws {
        var translator = AnthropicStreamTranslator(provider: "anthropic", model: "claude", created: 0)
        #expect(try translator.translate(Array(Self.toolStream[0].utf8)) != nil)
        do {
            _ = try translator.translate(Array(#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#.utf8))
            Issue.record("the error event should throw")
        } catch {
            #expect(error.statusCode == 503)
            #expect(error.error.type == "overloaded_error")
            #expect(error.error.message == "Overloaded")
        }
    }

    @Test func invalidEventIsA502() {
        var translator = AnthropicStreamTranslator(provider: "anthropic", model: "claude", created: 0)
        do {
            _ = try translator.translate(Array("{oops".utf8))
            Issue.record("invalid JSON should throw")
        } catch {
            #expect(error.statusCode == 502)
            #expect(error.error.type == "invalid_response")
        }
    }

    @Test func textCompletionStreamsCarryText() throws {
        let events = [
            #"{"type":"message_start","message":{"id":"msg_T","model":"claude","usage":{"input_tokens":3,"output_tokens":1}}}"#,
            #"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":"He"}}"#,
            #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"llo"}}"#,
            #"{"type":"message_delta","delta":{"stop_reason":"max_tokens"},"usage":{"output_tokens":2}}"#,
            #"{"type":"message_stop"}"#,
        ]
        let (chunks, finished) = try translateAll(events, kind: .textCompletion)
        #expect(finished)
        #expect(chunks.map(\.object) == ["text_completion", "text_completion", "text_completion"])
        #expect(chunks.map { $0.choices[0].text } == ["He", "llo", ""])
        #expect(chunks[2].choices[0].finishReason == "length")
        #expect(chunks[2].usage == Usage(promptTokens: 3, completionTokens: 2))
    }

    @Test func unknownEventsAndThinkingDeltasAreSkipped() throws {
        let (chunks, finished) = try translateAll([
            #"{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}"#,
            #"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"hmm"}}"#,
            #"{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"x"}}"#,
            #"{"type":"brand_new_event"}"#,
        ])
        #expect(chunks.isEmpty)
        #expect(!finished)
    }
}
