import BifrostCore
import BifrostPluginKit
import Testing

@testable import BifrostProviders

/// OpenAI stream events into Bifrost chunks: the end marker, tool-call pieces, Azure's empty chunks.
@Suite("OpenAI stream translation")
struct OpenAIStreamTranslatorTests {
    /// Two parallel tool calls as OpenAI streams them: id and name in a call's first piece only.
    static let toolEvents = [
        #"{"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"get_weather","arguments":""}}]}}]}"#,
        #"{"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]}}]}"#,
        #"{"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"Oslo\"}"}}]}}]}"#,
        #"{"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"get_time","arguments":""}}]}}]}"#,
        #"{"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"{}"}}]}}]}"#,
        #"{"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"#,
        "[DONE]",
    ]

    private func translateAll(_ events: [String], skipsEmptyChunks: Bool = false) throws -> (chunks: [BifrostResponse], finished: Bool) {
        var translator = OpenAIStreamTranslator(provider: "openai", model: "gpt-4o", skipsEmptyChunks: skipsEmptyChunks)
        var chunks: [BifrostResponse] = []
        for event in events {
            if let chunk = try translator.translate(Array(event.utf8)) { chunks.append(chunk) }
        }
        return (chunks, translator.isFinished)
    }

    @Test func toolCallPiecesKeepTheUpstreamIndexAndGetTheirCallsID() throws {
        let (chunks, finished) = try translateAll(Self.toolEvents)
        #expect(finished)
        #expect(chunks.count == 6)  // [DONE] yields nothing
        let pieces = chunks[0..<5].compactMap { $0.choices.first?.delta?.toolCalls?.first }
        #expect(pieces.map(\.index) == [0, 0, 0, 1, 1])
        #expect(pieces.map(\.id) == ["call_a", "call_a", "call_a", "call_b", "call_b"])
        #expect(pieces.map(\.function.name) == ["get_weather", "", "", "get_time", ""])
        #expect(pieces[0..<3].map(\.function.arguments).joined() == #"{"city":"Oslo"}"#)
        #expect(chunks[5].choices.first?.finishReason == "tool_calls")
    }

    @Test func pieceWithoutAnIndexHasNone() throws {
        let (chunks, _) = try translateAll([
            #"{"id":"c","choices":[{"index":0,"delta":{"tool_calls":[{"id":"call_x","function":{"name":"f","arguments":"{}"}}]}}]}"#,
        ])
        #expect(chunks.first?.choices.first?.delta?.toolCalls == [ToolCall(id: "call_x", name: "f", arguments: "{}")])
    }

    @Test func doneFinishesAndEventsBeforeItDoNot() throws {
        var translator = OpenAIStreamTranslator(provider: "openai", model: "gpt-4o")
        #expect(translator.endMarker == "[DONE]")
        #expect(try translator.translate(Array(Self.toolEvents[0].utf8)) != nil)
        #expect(!translator.isFinished)
        #expect(try translator.translate(Array("[DONE]".utf8)) == nil)
        #expect(translator.isFinished)
    }

    @Test func emptyChunksAreSkippedOnlyWhenAsked() throws {
        let events = [
            #"{"choices":[],"prompt_filter_results":[{"prompt_index":0}],"id":"","object":"","created":0,"model":""}"#,
            #"{"id":"c","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}"#,
        ]
        let skipping = try translateAll(events, skipsEmptyChunks: true).chunks
        #expect(skipping.count == 1)
        #expect(skipping.first?.usage?.totalTokens == 5)
        #expect(try translateAll(events).chunks.count == 2)
    }

    @Test func chunkKeepsItsEventSoMembersTheGatewayDoesNotModelReachTheClient() throws {
        let event = #"{"id":"c","object":"chat.completion.chunk","created":1,"model":"deepseek-r1","service_tier":"default","choices":[{"index":0,"delta":{"reasoning_content":"Think.","content":"Hi"},"logprobs":{"content":[{"token":"Hi","logprob":-0.1}]}}]}"#
        let chunk = try #require(try translateAll([event]).chunks.first)
        #expect(chunk.verbatimBody?.bytes.elementsEqual(event.utf8) == true)
        #expect(chunk.choices.first?.delta?.content == .text("Hi"))
        let written = String(decoding: JSONWriter.encode(chunk), as: UTF8.self)
        #expect(written == event.dropLast() + #","extra_fields":{"provider":"openai","model":"gpt-4o"}}"#)
    }

    @Test func toolCallPiecesGoOutAsSentWhileTheDecodedOnesCarryTheirCallsID() throws {
        let chunk = try #require(try translateAll(Array(Self.toolEvents[0...1])).chunks.last)
        #expect(chunk.choices.first?.delta?.toolCalls?.first?.id == "call_a")
        let written = String(decoding: JSONWriter.encode(chunk), as: UTF8.self)
        #expect(written.hasPrefix(Self.toolEvents[1].dropLast() + ","))
        #expect(!written.contains("call_a"))
    }

    @Test func chunkWithoutEveryTopLevelMemberOrWithExtraFieldsIsWrittenFromItsFields() throws {
        let events = [
            #"{"id":"c","choices":[{"index":0,"delta":{"content":"a"}}]}"#,
            #"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","extra_fields":{"provider":"x"},"choices":[]}"#,
            #"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","usage":{"prompt_tokens":1,"completion_tokens":1}}"#,
            #"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":null,"usage":{"prompt_tokens":1,"completion_tokens":1}}"#,
            "{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\n\"created\":1,\"model\":\"m\",\"choices\":[]}",
            "{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\r\"created\":1,\"model\":\"m\",\"choices\":[]}",
        ]
        let chunks = try translateAll(events).chunks
        #expect(chunks.count == 6)
        #expect(chunks.allSatisfy { $0.verbatimBody == nil })
        let written = String(decoding: JSONWriter.encode(chunks[1]), as: UTF8.self)
        #expect(written.contains(#""extra_fields":{"provider":"openai","model":"gpt-4o"}"#))
        #expect(!written.contains(#""provider":"x""#))
        // A chunk without a choices array still gets one; a line break never reaches the client.
        #expect(chunks[2...].allSatisfy { String(decoding: JSONWriter.encode($0), as: UTF8.self).contains(#""choices":[]"#) })
        #expect(chunks.allSatisfy { !JSONWriter.encode($0).contains(where: { $0 == 0x0A || $0 == 0x0D }) })
    }

    @Test func errorEventIsThrown() {
        var translator = OpenAIStreamTranslator(provider: "openai", model: "gpt-4o")
        do {
            _ = try translator.translate(Array(#"{"error":{"message":"upstream overloaded","type":"server_error"}}"#.utf8))
            Issue.record("an error event should throw")
        } catch let error as BifrostError {
            #expect(error.statusCode == 502)
            #expect(error.error.message == "upstream overloaded")
            #expect(!error.isBifrostError)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
