import BifrostPluginKit

/// Builds the whole response from a stream's chunks, so PostHooks can see what the client received:
/// the text, tool calls (arguments concatenated by call index, or id), finish reasons and usage.
struct StreamAccumulator {
    private var id = ""
    private var model = ""
    private var created = 0
    private var extraFields: ExtraFields?
    private var usage: Usage?
    private var choices: [Int: (role: String, text: String, toolCalls: [ToolCall], finishReason: String?)] = [:]

    mutating func add(_ chunk: BifrostResponse) {
        if id.isEmpty { id = chunk.id }
        if !chunk.model.isEmpty { model = chunk.model }
        if created == 0 { created = chunk.created }
        extraFields = chunk.extraFields
        if let chunkUsage = chunk.usage { usage = chunkUsage }
        for choice in chunk.choices {
            var entry = choices[choice.index] ?? (role: "assistant", text: "", toolCalls: [], finishReason: nil)
            if let delta = choice.delta ?? choice.message {
                if !delta.role.isEmpty { entry.role = delta.role }
                if let content = delta.content { entry.text += content.plainText }
                for call in delta.toolCalls ?? [] { Self.add(call, to: &entry.toolCalls) }
            }
            if let text = choice.text { entry.text += text }
            if let reason = choice.finishReason { entry.finishReason = reason }
            choices[choice.index] = entry
        }
    }

    /// Adds a streamed tool-call piece: it continues the call with the same `index` when it has one,
    /// else the call with the same (non-empty) id; a piece with neither continues the last call;
    /// anything else starts a new call.
    private static func add(_ piece: ToolCall, to calls: inout [ToolCall]) {
        let match = piece.index.flatMap { index in calls.firstIndex { $0.index == index } }
            ?? (piece.id.isEmpty ? nil : calls.firstIndex { $0.id == piece.id })
        if let match {
            calls[match].function.arguments += piece.function.arguments
            if calls[match].function.name.isEmpty { calls[match].function.name = piece.function.name }
            if calls[match].id.isEmpty { calls[match].id = piece.id }
        } else if piece.id.isEmpty, piece.index == nil, !calls.isEmpty {
            calls[calls.count - 1].function.arguments += piece.function.arguments
        } else {
            calls.append(piece)
        }
    }

    /// The assembled `chat.completion`; its tool calls have no `index` (stream deltas only), as in
    /// a non-streamed answer.
    func response(provider: String, fallbackModel: String) -> BifrostResponse {
        let assembled = choices.keys.sorted().map { index -> Choice in
            let entry = choices[index]!
            let calls = entry.toolCalls.map { call -> ToolCall in
                var call = call
                call.index = nil
                return call
            }
            let message = BifrostMessage(role: entry.role, content: entry.text.isEmpty && !calls.isEmpty ? nil : .text(entry.text),
                                         toolCalls: calls.isEmpty ? nil : calls)
            return Choice(index: index, message: message, finishReason: entry.finishReason)
        }
        return BifrostResponse(id: id, object: "chat.completion", created: created, model: model.isEmpty ? fallbackModel : model,
                               choices: assembled, usage: usage,
                               extraFields: extraFields ?? ExtraFields(provider: provider, model: model.isEmpty ? fallbackModel : model))
    }
}
