import BifrostCore
import BifrostPluginKit

/// Anthropic's stream events, built from OpenAI-shaped chunks: `message_start`, then per content
/// block `content_block_start` / `content_block_delta` (`text_delta`, `input_json_delta`) /
/// `content_block_stop`, then `message_delta` (stop reason, output tokens) and `message_stop`.
/// A failure midway is an `error` event.
struct AnthropicEvents: StreamEventEncoder {
    private let model: String
    private var started = false
    private var blockIndex = -1
    private var openBlock = OpenBlock.none
    private var finishReason: String?
    private var usage: Usage?

    private enum OpenBlock: Equatable {
        case none
        case text
        /// A tool call, by its index in the message (or its id when pieces carry no index).
        case tool(key: String)
    }

    init(model: String) {
        self.model = model
    }

    mutating func chunk(_ chunk: BifrostResponse) -> [UInt8] {
        var out: [UInt8] = []
        start(chunk, into: &out)
        if let usage = chunk.usage { self.usage = usage }
        guard let choice = chunk.choices.first else { return out }
        let delta = choice.delta ?? choice.message
        let text = delta?.content?.plainText ?? choice.text ?? ""
        if !text.isEmpty {
            if openBlock != .text {
                closeBlock(into: &out)
                openBlock(.text, into: &out) { writer in
                    writer.member("type", "text")
                    writer.member("text", "")
                }
            }
            event("content_block_delta", into: &out) { writer in
                writer.member("index", blockIndex)
                writer.key("delta")
                writer.open()
                writer.member("type", "text_delta")
                writer.member("text", text)
                writer.close()
            }
        }
        for call in delta?.toolCalls ?? [] {
            let key = call.index.map { "#\($0)" } ?? call.id
            if !key.isEmpty && openBlock != .tool(key: key) {
                closeBlock(into: &out)
                openBlock(.tool(key: key), into: &out) { writer in
                    writer.member("type", "tool_use")
                    writer.member("id", call.id)
                    writer.member("name", call.function.name)
                    writer.key("input")
                    writer.json(.object([:]))
                }
            }
            if !call.function.arguments.isEmpty, case .tool = openBlock {
                event("content_block_delta", into: &out) { writer in
                    writer.member("index", blockIndex)
                    writer.key("delta")
                    writer.open()
                    writer.member("type", "input_json_delta")
                    writer.member("partial_json", call.function.arguments)
                    writer.close()
                }
            }
        }
        if let reason = choice.finishReason { finishReason = reason }
        return out
    }

    mutating func end() -> [UInt8] {
        var out: [UInt8] = []
        if !started { start(nil, into: &out) }
        closeBlock(into: &out)
        let stopReason = AnthropicWire.stopReason(finishReason)
        let outputTokens = usage?.completionTokens ?? 0
        event("message_delta", into: &out) { writer in
            writer.key("delta")
            writer.open()
            writer.member("stop_reason", stopReason)
            writer.key("stop_sequence")
            writer.raw("null")
            writer.close()
            writer.key("usage")
            writer.open()
            writer.member("output_tokens", outputTokens)
            writer.close()
        }
        event("message_stop", into: &out) { _ in }
        return out
    }

    mutating func failure(_ error: BifrostError) -> [UInt8] {
        var out: [UInt8] = []
        out.append(contentsOf: "event: error\ndata: ".utf8)
        out.append(contentsOf: AnthropicWire.error(error))
        out.append(contentsOf: [0x0A, 0x0A])
        return out
    }

    // MARK: Events

    /// `message_start`, once, before anything else.
    private mutating func start(_ chunk: BifrostResponse?, into out: inout [UInt8]) {
        guard !started else { return }
        started = true
        let id = chunk?.id ?? ""
        let model = chunk.map { $0.model.isEmpty ? self.model : $0.model } ?? self.model
        let usage = chunk?.usage
        event("message_start", into: &out) { writer in
            writer.key("message")
            writer.open()
            writer.member("id", id)
            writer.member("type", "message")
            writer.member("role", "assistant")
            writer.member("model", model)
            writer.key("content")
            writer.array([Int]()) { _, _ in }
            writer.key("stop_reason")
            writer.raw("null")
            writer.key("stop_sequence")
            writer.raw("null")
            writer.key("usage")
            AnthropicWire.usage(usage, into: &writer)
            writer.close()
        }
    }

    private mutating func openBlock(_ block: OpenBlock, into out: inout [UInt8], _ contentBlock: (inout JSONWriter) -> Void) {
        blockIndex += 1
        openBlock = block
        event("content_block_start", into: &out) { writer in
            writer.member("index", blockIndex)
            writer.key("content_block")
            writer.open()
            contentBlock(&writer)
            writer.close()
        }
    }

    private mutating func closeBlock(into out: inout [UInt8]) {
        guard openBlock != .none else { return }
        event("content_block_stop", into: &out) { writer in writer.member("index", blockIndex) }
        openBlock = .none
    }

    /// `event: <type>` and `data: {"type":"<type>", ...}`.
    private func event(_ type: String, into out: inout [UInt8], _ fields: (inout JSONWriter) -> Void) {
        var writer = JSONWriter(capacity: 128)
        writer.open()
        writer.member("type", type)
        fields(&writer)
        writer.close()
        out.append(contentsOf: "event: \(type)\ndata: ".utf8)
        out.append(contentsOf: writer.bytes)
        out.append(contentsOf: [0x0A, 0x0A])
    }
}
