import BifrostCore
import BifrostPluginKit

/// Turns ConverseStream event-stream messages into Bifrost chunks:
///
/// - `messageStart` → the opening chunk (role `assistant`);
/// - `contentBlockStart` with `toolUse` → a tool call's first piece (id, name, `index`);
/// - `contentBlockDelta` → text, or a piece of the tool call's input JSON;
/// - `messageStop` → the chunk with `finish_reason`; `metadata` → the usage chunk, and the end;
/// - exception messages (`throttlingException`, `validationException`, `modelStreamErrorException`, ...)
///   are thrown with their statuses.
struct BedrockStreamTranslator: StreamTranslator {
    let provider: String
    let model: String
    let id: String
    let created: Int
    /// Content block index → (tool call id, position among the message's tool calls).
    private var toolCalls: [Int: (id: String, index: Int)] = [:]
    private(set) var isFinished = false
    var endMarker: String { "metadata" }

    init(provider: String, model: String, created: Int) {
        self.provider = provider
        self.model = model
        self.created = created
        id = "bedrock-\(created)-\(UInt32.random(in: 0...UInt32.max))"
    }

    mutating func translate(_ event: AWSEventMessage) throws -> BifrostResponse? {
        let value = (try? JSONParser.parse(event.payload)) ?? .object([:])
        guard event.messageType == "event" else {
            let type = event.type ?? "unknown error"
            throw BifrostError(message: value["message"]?.stringValue ?? "\(provider) stream failed: \(type)", type: type,
                               statusCode: BedrockResponseCodec.status(for: type, default: 502), isBifrostError: false)
        }
        switch event.type {
        case "messageStart":
            return chunk(BifrostMessage(role: "assistant", content: .text("")))
        case "contentBlockStart":
            guard let use = value["start"]?["toolUse"], let block = OpenAICodec.integer(value["contentBlockIndex"]) else { return nil }
            let call = (id: use["toolUseId"]?.stringValue ?? "", index: toolCalls.count)
            toolCalls[block] = call
            return chunk(BifrostMessage(role: "", toolCalls: [ToolCall(id: call.id, name: use["name"]?.stringValue ?? "",
                                                                          arguments: "", index: call.index)]))
        case "contentBlockDelta":
            let delta = value["delta"]
            if let text = delta?["text"]?.stringValue { return chunk(BifrostMessage(role: "", content: .text(text))) }
            if let input = delta?["toolUse"]?["input"]?.stringValue,
               let block = OpenAICodec.integer(value["contentBlockIndex"]), let call = toolCalls[block] {
                return chunk(BifrostMessage(role: "", toolCalls: [ToolCall(id: call.id, name: "", arguments: input, index: call.index)]))
            }
            return nil
        case "messageStop":
            return chunk(BifrostMessage(role: ""), finishReason: BedrockResponseCodec.finishReason(value["stopReason"]?.stringValue))
        case "metadata":
            isFinished = true
            guard let usage = BedrockResponseCodec.usage(value["usage"]) else { return nil }
            return BifrostResponse(id: id, object: "chat.completion.chunk", created: created, model: model, choices: [],
                                   usage: usage, extraFields: ExtraFields(provider: provider, model: model))
        default:
            return nil  // contentBlockStop and anything new
        }
    }

    private func chunk(_ delta: BifrostMessage, finishReason: String? = nil) -> BifrostResponse {
        BifrostResponse(id: id, object: "chat.completion.chunk", created: created, model: model,
                        choices: [Choice(delta: delta, finishReason: finishReason)],
                        extraFields: ExtraFields(provider: provider, model: model))
    }
}
