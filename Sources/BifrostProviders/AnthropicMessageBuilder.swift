import BifrostPluginKit

/// Turns OpenAI-style chat messages into Anthropic's conversation: system (and developer) messages
/// lifted into one `system` string, assistant tool calls into `tool_use` blocks, and tool messages
/// into `tool_result` blocks of one `user` message per run of consecutive results.
enum AnthropicMessageBuilder {
    struct Conversation: Equatable {
        /// The system messages' text, joined by blank lines; nil when there were none.
        var system: String?
        var messages: [AnthropicMessage]
    }

    static func build(_ input: [BifrostMessage]) throws(BifrostError) -> Conversation {
        var system: [String] = []
        var messages: [AnthropicMessage] = []
        var pendingResults: [AnthropicBlock] = []

        func flushResults() {
            guard !pendingResults.isEmpty else { return }
            messages.append(AnthropicMessage(role: "user", content: .blocks(pendingResults)))
            pendingResults = []
        }

        for (index, message) in input.enumerated() {
            switch message.role {
            case "system", "developer":
                if let text = message.content?.plainText { system.append(text) }
            case "tool":
                guard let id = message.toolCallID, !id.isEmpty else {
                    throw invalid("messages[\(index)].tool_call_id", "is required for a tool message")
                }
                pendingResults.append(.toolResult(toolUseID: id, content: message.content.map(content)))
            case "assistant":
                flushResults()
                messages.append(AnthropicMessage(role: "assistant", content: try assistantContent(message, index: index)))
            default:
                flushResults()
                messages.append(AnthropicMessage(role: message.role, content: message.content.map(content) ?? .text("")))
            }
        }
        flushResults()
        return Conversation(system: system.isEmpty ? nil : system.joined(separator: "\n\n"), messages: messages)
    }

    /// Text stays a string; parts become text and image blocks.
    static func content(_ content: MessageContent) -> AnthropicContent {
        switch content {
        case .text(let text): .text(text)
        case .parts(let parts): .blocks(parts.map(AnthropicBlock.init))
        }
    }

    /// An assistant turn: its text (a string when there are no tool calls), then a `tool_use`
    /// block per call with the arguments parsed into `input`.
    private static func assistantContent(_ message: BifrostMessage, index: Int) throws(BifrostError) -> AnthropicContent {
        let calls = message.toolCalls ?? []
        guard !calls.isEmpty else { return message.content.map(content) ?? .text("") }
        var blocks: [AnthropicBlock] = []
        switch message.content {
        case .text(let text)? where !text.isEmpty: blocks.append(.text(text))
        case .parts(let parts)?: blocks.append(contentsOf: parts.map(AnthropicBlock.init))
        default: break
        }
        for (callIndex, call) in calls.enumerated() {
            let input: JSONValue
            if call.function.arguments.allSatisfy(\.isWhitespace) {
                input = .object([:])
            } else {
                do {
                    input = try JSONParser.parse(Array(call.function.arguments.utf8))
                } catch {
                    throw invalid("messages[\(index)].tool_calls[\(callIndex)].function.arguments", "is not valid JSON (\(error))")
                }
            }
            blocks.append(.toolUse(id: call.id, name: call.function.name, input: input))
        }
        return .blocks(blocks)
    }

    private static func invalid(_ path: String, _ problem: String) -> BifrostError {
        BifrostError(message: "\(path) \(problem)", type: "invalid_request_error", param: path, statusCode: 400,
                     allowFallbacks: false)
    }
}
