import BifrostCore
import BifrostPluginKit

/// Reads Gemini `GenerateContentResponse`s (whole answers and stream chunks alike).
enum GeminiResponseCodec {
    /// The first candidate as a message, its finish reason and the usage; a prompt blocked for
    /// safety (`promptFeedback.blockReason`, no candidates) is an empty answer with `content_filter`.
    static func parts(of value: JSONValue, callOffset: Int = 0) -> (message: BifrostMessage, finishReason: String?, usage: Usage?) {
        var text = ""
        var calls: [ToolCall] = []
        let candidate: JSONValue? = if case .array(let candidates)? = value["candidates"] { candidates.first } else { nil }
        if case .array(let parts)? = candidate?["content"]?["parts"] {
            for part in parts {
                if let piece = part["text"]?.stringValue, part["thought"] != .bool(true) { text += piece }
                if let call = part["functionCall"] {
                    var arguments = JSONWriter(capacity: 64)
                    arguments.json(call["args"] ?? .object([:]))
                    let index = callOffset + calls.count
                    calls.append(ToolCall(id: call["id"]?.stringValue ?? "call_\(index)", name: call["name"]?.stringValue ?? "",
                                          arguments: String(decoding: arguments.bytes, as: UTF8.self), index: index))
                }
            }
        }
        var finish = finishReason(candidate?["finishReason"]?.stringValue, hasCalls: !calls.isEmpty)
        if candidate == nil, value["promptFeedback"]?["blockReason"] != nil { finish = "content_filter" }
        let message = BifrostMessage(role: "assistant", content: text.isEmpty && !calls.isEmpty ? nil : .text(text),
                                     toolCalls: calls.isEmpty ? nil : calls)
        return (message, finish, usage(value["usageMetadata"]))
    }

    /// A complete answer in OpenAI's shape.
    static func response(_ value: JSONValue, request: BifrostRequest, provider: String, now: Int) throws(BifrostError) -> BifrostResponse {
        guard value["candidates"] != nil || value["promptFeedback"] != nil else {
            throw BifrostError(message: "\(provider) returned JSON that is not a generateContent response", type: "invalid_response",
                               statusCode: 502)
        }
        var (message, finish, usage) = parts(of: value)
        // A whole answer's tool calls carry no stream index.
        message.toolCalls = message.toolCalls?.map { ToolCall(id: $0.id, name: $0.function.name, arguments: $0.function.arguments) }
        let isText = request.input.kind == .textCompletion
        let choice = isText ? Choice(text: message.content?.plainText ?? "", finishReason: finish)
            : Choice(message: message, finishReason: finish)
        return BifrostResponse(id: value["responseId"]?.stringValue ?? "gemini-\(now)", object: isText ? "text_completion" : "chat.completion",
                               created: now, model: value["modelVersion"]?.stringValue ?? request.model, choices: [choice], usage: usage,
                               extraFields: ExtraFields(provider: provider, model: request.model))
    }

    /// `STOP` → stop (tool_calls when the answer calls functions), `MAX_TOKENS` → length, safety,
    /// recitation and other blocks → content_filter.
    static func finishReason(_ reason: String?, hasCalls: Bool) -> String? {
        switch reason {
        case nil, "FINISH_REASON_UNSPECIFIED": nil
        case "STOP": hasCalls ? "tool_calls" : "stop"
        case "MAX_TOKENS": "length"
        case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY": "content_filter"
        default: "stop"
        }
    }

    /// `usageMetadata {promptTokenCount, candidatesTokenCount, totalTokenCount, cachedContentTokenCount}`.
    static func usage(_ value: JSONValue?) -> Usage? {
        guard let value, let prompt = OpenAICodec.integer(value["promptTokenCount"]) else { return nil }
        let output = (OpenAICodec.integer(value["candidatesTokenCount"]) ?? 0) + (OpenAICodec.integer(value["thoughtsTokenCount"]) ?? 0)
        return Usage(promptTokens: prompt, completionTokens: output, totalTokens: OpenAICodec.integer(value["totalTokenCount"]),
                     cachedTokens: OpenAICodec.integer(value["cachedContentTokenCount"]))
    }
}

/// Gemini's streamed chunks (`streamGenerateContent?alt=sse`): each event is a partial response;
/// the one with a finish reason ends the stream (Gemini sends no end marker).
struct GeminiStreamTranslator: StreamTranslator {
    let provider: String
    let model: String
    let id: String
    let created: Int
    private var calls = 0
    private var first = true
    private(set) var isFinished = false
    var endMarker: String { "a finish reason" }

    init(provider: String, model: String, created: Int) {
        self.provider = provider
        self.model = model
        self.created = created
        id = "gemini-\(created)-\(UInt32.random(in: 0...UInt32.max))"
    }

    mutating func translate(_ event: [UInt8]) throws -> BifrostResponse? {
        let value = try parseStreamEvent(event, provider: provider)
        if let detail = value["error"], case .object = detail {
            throw BifrostError(message: detail["message"]?.stringValue ?? "\(provider) stream failed", type: detail["status"]?.stringValue,
                               statusCode: OpenAICodec.integer(detail["code"]) ?? 502, isBifrostError: false)
        }
        var (message, finish, usage) = GeminiResponseCodec.parts(of: value, callOffset: calls)
        calls += message.toolCalls?.count ?? 0
        message.role = first ? "assistant" : ""
        first = false
        if finish != nil { isFinished = true }
        return BifrostResponse(id: id, object: "chat.completion.chunk", created: created, model: model,
                               choices: [Choice(delta: message, finishReason: finish)], usage: usage,
                               extraFields: ExtraFields(provider: provider, model: model))
    }
}
