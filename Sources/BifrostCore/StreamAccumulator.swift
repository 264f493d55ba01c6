import BifrostPluginKit

/// Builds the whole response from a stream's chunks, so PostHooks can see what the client received:
/// the text, tool calls (arguments concatenated by call id), finish reasons and usage.
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
                for call in delta.toolCalls ?? [] {
                    if let index = entry.toolCalls.firstIndex(where: { $0.id == call.id && !call.id.isEmpty }) {
                        entry.toolCalls[index].function.arguments += call.function.arguments
                        if entry.toolCalls[index].function.name.isEmpty { entry.toolCalls[index].function.name = call.function.name }
                    } else if call.id.isEmpty, !entry.toolCalls.isEmpty {
                        entry.toolCalls[entry.toolCalls.count - 1].function.arguments += call.function.arguments
                    } else {
                        entry.toolCalls.append(call)
                    }
                }
            }
            if let text = choice.text { entry.text += text }
            if let reason = choice.finishReason { entry.finishReason = reason }
            choices[choice.index] = entry
        }
    }

    /// The assembled `chat.completion`.
    func response(provider: String, fallbackModel: String) -> BifrostResponse {
        let assembled = choices.keys.sorted().map { index -> Choice in
            let entry = choices[index]!
            let message = BifrostMessage(role: entry.role, content: entry.text.isEmpty && !entry.toolCalls.isEmpty ? nil : .text(entry.text),
                                         toolCalls: entry.toolCalls.isEmpty ? nil : entry.toolCalls)
            return Choice(index: index, message: message, finishReason: entry.finishReason)
        }
        return BifrostResponse(id: id, object: "chat.completion", created: created, model: model.isEmpty ? fallbackModel : model,
                               choices: assembled, usage: usage,
                               extraFields: extraFields ?? ExtraFields(provider: provider, model: model.isEmpty ? fallbackModel : model))
    }
}
