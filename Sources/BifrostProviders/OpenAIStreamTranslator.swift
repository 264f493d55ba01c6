import BifrostCore
import BifrostPluginKit

/// Turns OpenAI stream events into Bifrost chunks.
///
/// - `[DONE]` ends the stream (``isFinished``) and yields nothing.
/// - Tool-call pieces keep the upstream's `index` (nil when it sent none) and get their call's id
///   (OpenAI sends the id only with a call's first piece; later pieces carry just the index).
/// - An `{"error": ...}` event is thrown, never relayed as an empty chunk.
/// - With `skipsEmptyChunks` (Azure), chunks with neither choices nor usage (Azure's opening
///   `prompt_filter_results`) yield nothing.
/// - A chunk keeps its event as sent (``BifrostResponse/verbatimBody``) when it has `id`, `object`,
///   `created`, `model` and a `choices` array, no `extra_fields`, and no line break (an event spread
///   over several `data:` lines could not go out as one), so OpenAI-format clients get the members the
///   gateway does not model (`logprobs`, `reasoning_content`, `service_tier`, ...) as the provider sent
///   them. The decoded choices, which other dialects and the stream's assembly read, carry the call ids.
struct OpenAIStreamTranslator: StreamTranslator {
    let provider: String
    let model: String
    /// Drop chunks that have no choices and no usage.
    let skipsEmptyChunks: Bool
    private var toolCallIDs: [Int: String] = [:]
    /// True once `[DONE]` arrived.
    private(set) var isFinished = false
    var endMarker: String { "[DONE]" }

    init(provider: String, model: String, skipsEmptyChunks: Bool = false) {
        self.provider = provider
        self.model = model
        self.skipsEmptyChunks = skipsEmptyChunks
    }

    /// The chunk for one event's data; nil for `[DONE]` and skipped chunks.
    mutating func translate(_ event: [UInt8]) throws -> BifrostResponse? {
        if event == Self.done {
            isFinished = true
            return nil
        }
        let value = try parseStreamEvent(event, provider: provider)
        if let detail = value["error"], case .object = detail {
            throw BifrostError(message: detail["message"]?.stringValue ?? "\(provider) stream failed", type: detail["type"]?.stringValue,
                               statusCode: 502, isBifrostError: false)
        }
        var choices: [Choice] = []
        if case .array(let items)? = value["choices"] {
            for (offset, item) in items.enumerated() {
                let message = item["delta"].map { delta($0) }
                choices.append(Choice(index: OpenAICodec.integer(item["index"]) ?? offset, text: item["text"]?.stringValue,
                                      delta: message, finishReason: item["finish_reason"]?.stringValue))
            }
        }
        let usage = OpenAICodec.usage(value["usage"])
        if skipsEmptyChunks && choices.isEmpty && usage == nil { return nil }
        let id = value["id"]?.stringValue, object = value["object"]?.stringValue
        let created = OpenAICodec.integer(value["created"]), chunkModel = value["model"]?.stringValue
        var chunk = BifrostResponse(id: id ?? "", object: object ?? "chat.completion.chunk", created: created ?? 0,
                                    model: chunkModel ?? model, choices: choices, usage: usage,
                                    extraFields: ExtraFields(provider: provider, model: model))
        if id != nil && object != nil && created != nil && chunkModel != nil, case .array? = value["choices"],
           value["extra_fields"] == nil, !event.contains(where: { $0 == 0x0A || $0 == 0x0D }) {
            chunk.verbatimBody = JSONText(source: event, range: event.indices)  // nil when not UTF-8: written from the fields
        }
        return chunk
    }

    private static let done: [UInt8] = Array("[DONE]".utf8)

    private mutating func delta(_ value: JSONValue) -> BifrostMessage {
        var message = BifrostMessage(role: value["role"]?.stringValue ?? "", content: value["content"]?.stringValue.map { .text($0) })
        if case .array(let pieces)? = value["tool_calls"] {
            message.toolCalls = pieces.map { piece in
                let upstreamIndex = OpenAICodec.integer(piece["index"])
                let index = upstreamIndex ?? 0
                if let id = piece["id"]?.stringValue { toolCallIDs[index] = id }
                return ToolCall(id: toolCallIDs[index] ?? "", name: piece["function"]?["name"]?.stringValue ?? "",
                                arguments: piece["function"]?["arguments"]?.stringValue ?? "", index: upstreamIndex)
            }
        }
        return message
    }
}
