import BifrostPluginKit

/// Turns Anthropic Messages stream events into OpenAI `chat.completion.chunk`s.
///
/// - `message_start`: a chunk with the assistant role and empty content; remembers id, model and input usage.
/// - `content_block_start`: for `tool_use`, the call's first chunk (id, name, empty arguments); for
///   text with initial text, a content chunk; otherwise nothing.
/// - `content_block_delta`: `text_delta` → content; `input_json_delta` → arguments of the block's
///   tool call (every piece carries the call's id, as ``OpenAIStreamTranslator`` does); others nothing.
///   Tool-call pieces carry OpenAI's `index`: the call's position among the message's tool calls
///   (0-based; text blocks do not count).
/// - `message_delta`: the finish reason, with the usage so far (the last chunk of the stream).
/// - `message_stop`: the end (``isFinished``); `ping`, `content_block_stop`: nothing.
/// - `error`: thrown as a ``BifrostError`` with a status from the error type.
struct AnthropicStreamTranslator: StreamTranslator {
    let provider: String
    let model: String
    let created: Int
    /// Text completions stream `text_completion` chunks with `text` instead of deltas.
    let textCompletion: Bool
    private var id = ""
    private var upstreamModel: String?
    private var usage = AnthropicResponseCodec.UsageCounts()
    /// Content block index → (tool call id, position among the tool calls), for `tool_use` blocks.
    private var toolCalls: [Int: (id: String, position: Int)] = [:]
    /// True once `message_stop` arrived.
    private(set) var isFinished = false
    var endMarker: String { "message_stop" }

    init(provider: String, model: String, created: Int, kind: RequestKind = .chatCompletion) {
        self.provider = provider
        self.model = model
        self.created = created
        textCompletion = kind == .textCompletion
    }

    /// The chunk for one event's data, or nil when the event carries nothing for the client.
    mutating func translate(_ event: [UInt8]) throws(BifrostError) -> BifrostResponse? {
        let value = try parseStreamEvent(event, provider: provider)
        switch value["type"]?.stringValue {
        case "message_start":
            let message = value["message"]
            id = message?["id"]?.stringValue ?? id
            upstreamModel = message?["model"]?.stringValue
            if let counts = message?["usage"], case .object = counts { usage.merge(.init(counts)) }
            return textCompletion ? nil : chunk(delta: BifrostMessage(role: "assistant", content: .text("")))
        case "content_block_start":
            return blockStart(index: OpenAICodec.integer(value["index"]) ?? 0, block: value["content_block"])
        case "content_block_delta":
            return blockDelta(index: OpenAICodec.integer(value["index"]) ?? 0, delta: value["delta"])
        case "message_delta":
            if let counts = value["usage"], case .object = counts { usage.merge(.init(counts)) }
            let reason = AnthropicResponseCodec.finishReason(value["delta"]?["stop_reason"]?.stringValue)
            return chunk(delta: BifrostMessage(role: ""), finishReason: reason, usage: usage.usage)
        case "message_stop":
            isFinished = true
            return nil
        case "error":
            throw AnthropicResponseCodec.streamError(value["error"], provider: provider)
        default:
            // ping, content_block_stop and event types added later.
            return nil
        }
    }

    private mutating func blockStart(index: Int, block: JSONValue?) -> BifrostResponse? {
        switch block?["type"]?.stringValue {
        case "tool_use":
            let call = (id: block?["id"]?.stringValue ?? "", position: toolCalls.count)
            toolCalls[index] = call
            // `input` is `{}` here; the arguments arrive as input_json_delta pieces.
            let first = ToolCall(id: call.id, name: block?["name"]?.stringValue ?? "", arguments: "", index: call.position)
            return chunk(delta: BifrostMessage(role: "", toolCalls: [first]))
        case "text":
            guard let text = block?["text"]?.stringValue, !text.isEmpty else { return nil }
            return chunk(delta: BifrostMessage(role: "", content: .text(text)))
        default:
            return nil
        }
    }

    private func blockDelta(index: Int, delta: JSONValue?) -> BifrostResponse? {
        switch delta?["type"]?.stringValue {
        case "text_delta":
            return chunk(delta: BifrostMessage(role: "", content: .text(delta?["text"]?.stringValue ?? "")))
        case "input_json_delta":
            let call = toolCalls[index]
            let piece = ToolCall(id: call?.id ?? "", name: "", arguments: delta?["partial_json"]?.stringValue ?? "", index: call?.position)
            return chunk(delta: BifrostMessage(role: "", toolCalls: [piece]))
        default:
            // thinking_delta, signature_delta, citations: not part of OpenAI's chunk shape.
            return nil
        }
    }

    private func chunk(delta: BifrostMessage, finishReason: String? = nil, usage: Usage? = nil) -> BifrostResponse {
        let choice = textCompletion
            ? Choice(index: 0, text: delta.content?.plainText ?? "", finishReason: finishReason)
            : Choice(index: 0, delta: delta, finishReason: finishReason)
        return BifrostResponse(id: id, object: textCompletion ? "text_completion" : "chat.completion.chunk", created: created,
                               model: upstreamModel ?? model, choices: [choice], usage: usage,
                               extraFields: ExtraFields(provider: provider, model: model))
    }
}
