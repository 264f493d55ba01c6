import BifrostPluginKit
import Testing

@testable import BifrostCore

/// How streamed chunks are assembled into the response PostHooks see.
@Suite("Stream accumulator")
struct StreamAccumulatorTests {
    private func chunk(_ calls: [ToolCall], role: String = "", finish: String? = nil) -> BifrostResponse {
        BifrostResponse(id: "c", object: "chat.completion.chunk", created: 1, model: "gpt-4o",
                        choices: [Choice(delta: BifrostMessage(role: role, toolCalls: calls), finishReason: finish)],
                        extraFields: ExtraFields(provider: "openai", model: "gpt-4o"))
    }

    /// OpenAI sends a call's id and name with its first piece only; later pieces carry just `index`,
    /// and pieces of parallel calls may interleave.
    @Test func toolCallPiecesWithOnlyAnIndexJoinTheirCall() {
        var accumulator = StreamAccumulator()
        accumulator.add(chunk([ToolCall(id: "call_a", name: "get_weather", arguments: "", index: 0)], role: "assistant"))
        accumulator.add(chunk([ToolCall(id: "", name: "", arguments: #"{"city":"#, index: 0)]))
        accumulator.add(chunk([ToolCall(id: "call_b", name: "get_time", arguments: "", index: 1)]))
        accumulator.add(chunk([ToolCall(id: "", name: "", arguments: #""Oslo"}"#, index: 0)]))
        accumulator.add(chunk([ToolCall(id: "", name: "", arguments: #"{"tz":"CET"}"#, index: 1)], finish: "tool_calls"))

        let message = accumulator.response(provider: "openai", fallbackModel: "gpt-4o").choices.first?.message
        // The assembled (non-stream) message has no index, like a non-streamed answer.
        #expect(message?.toolCalls == [ToolCall(id: "call_a", name: "get_weather", arguments: #"{"city":"Oslo"}"#),
                                       ToolCall(id: "call_b", name: "get_time", arguments: #"{"tz":"CET"}"#)])
        #expect(message?.content == nil)
    }

    @Test func piecesWithoutAnIndexStillJoinByID() {
        var accumulator = StreamAccumulator()
        accumulator.add(chunk([ToolCall(id: "toolu_1", name: "lookup", arguments: "")], role: "assistant"))
        accumulator.add(chunk([ToolCall(id: "toolu_2", name: "lookup", arguments: "")]))
        accumulator.add(chunk([ToolCall(id: "toolu_1", name: "", arguments: #"{"q":1}"#)]))
        accumulator.add(chunk([ToolCall(id: "", name: "", arguments: #"{"q":2}"#)]))

        let calls = accumulator.response(provider: "openai", fallbackModel: "gpt-4o").choices.first?.message?.toolCalls
        #expect(calls == [ToolCall(id: "toolu_1", name: "lookup", arguments: #"{"q":1}"#),
                          ToolCall(id: "toolu_2", name: "lookup", arguments: #"{"q":2}"#)])
    }
}
