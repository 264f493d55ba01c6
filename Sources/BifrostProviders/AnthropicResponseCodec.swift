import BifrostCore
import BifrostPluginKit

/// Reads Anthropic Messages API answers and stream errors into OpenAI-shaped ``BifrostResponse``s
/// and ``BifrostError``s, without Codable. Upstream HTTP errors (Anthropic's
/// `{"type":"error","error":{"type","message"}}`) are read by ``ProviderErrors/upstream(status:body:headers:provider:)``
/// with their status kept, 529 (`overloaded_error`) included.
enum AnthropicResponseCodec {
    /// A `message` body as a `chat.completion` (or `text_completion` for text requests); nil when
    /// the JSON is not a message.
    ///
    /// Text blocks are joined; `tool_use` blocks become tool calls whose arguments are the `input`
    /// written as a JSON string; other blocks (thinking) are left out.
    static func response(_ value: JSONValue, kind: RequestKind, request: BifrostRequest, provider: String, now: Int)
        -> BifrostResponse? {
        guard case .array(let blocks)? = value["content"] else { return nil }
        var text = ""
        var calls: [ToolCall] = []
        for block in blocks {
            switch block["type"]?.stringValue {
            case "text": text += block["text"]?.stringValue ?? ""
            case "tool_use":
                calls.append(ToolCall(id: block["id"]?.stringValue ?? "", name: block["name"]?.stringValue ?? "",
                                      arguments: jsonString(block["input"] ?? .object([:]))))
            default: break
            }
        }
        let finish = finishReason(value["stop_reason"]?.stringValue)
        let choice: Choice
        if kind == .textCompletion {
            choice = Choice(index: 0, text: text, finishReason: finish)
        } else {
            let message = BifrostMessage(role: "assistant", content: text.isEmpty && !calls.isEmpty ? nil : .text(text),
                                         toolCalls: calls.isEmpty ? nil : calls)
            choice = Choice(index: 0, message: message, finishReason: finish)
        }
        return BifrostResponse(id: value["id"]?.stringValue ?? "", object: kind == .textCompletion ? "text_completion" : "chat.completion",
                               created: now, model: value["model"]?.stringValue ?? request.model, choices: [choice],
                               usage: usage(value["usage"]), extraFields: ExtraFields(provider: provider, model: request.model))
    }

    /// Anthropic's `stop_reason` as an OpenAI `finish_reason`: end_turn, stop_sequence and pause_turn
    /// → `stop`, max_tokens → `length`, tool_use → `tool_calls`, refusal → `content_filter`; others as sent.
    static func finishReason(_ reason: String?) -> String? {
        switch reason {
        case nil: nil
        case "end_turn"?, "stop_sequence"?, "pause_turn"?: "stop"
        case "max_tokens"?: "length"
        case "tool_use"?: "tool_calls"
        case "refusal"?: "content_filter"
        case let other?: other
        }
    }

    /// Anthropic's usage in OpenAI's sense: `prompt_tokens` counts every input token (uncached
    /// `input_tokens` plus `cache_read_input_tokens` plus `cache_creation_input_tokens`), with the
    /// cache reads in `cachedTokens` and the cache writes in `cacheCreationTokens`.
    static func usage(_ value: JSONValue?) -> Usage? {
        guard let value, case .object = value else { return nil }
        let counts = UsageCounts(value)
        return counts.usage
    }

    /// The token counts of an Anthropic `usage` object; streams merge `message_start`'s with `message_delta`'s.
    struct UsageCounts: Equatable {
        var input: Int?
        var output: Int?
        var cacheRead: Int?
        var cacheCreation: Int?

        init() {}

        init(_ value: JSONValue) {
            input = OpenAICodec.integer(value["input_tokens"])
            output = OpenAICodec.integer(value["output_tokens"])
            cacheRead = OpenAICodec.integer(value["cache_read_input_tokens"])
            cacheCreation = OpenAICodec.integer(value["cache_creation_input_tokens"])
        }

        /// Counts in `later` replace these (Anthropic's `message_delta` usage is cumulative).
        mutating func merge(_ later: UsageCounts) {
            input = later.input ?? input
            output = later.output ?? output
            cacheRead = later.cacheRead ?? cacheRead
            cacheCreation = later.cacheCreation ?? cacheCreation
        }

        var usage: Usage {
            let prompt = (input ?? 0) + (cacheRead ?? 0) + (cacheCreation ?? 0)
            return Usage(promptTokens: prompt, completionTokens: output ?? 0, cachedTokens: cacheRead, cacheCreationTokens: cacheCreation)
        }
    }

    /// A mid-stream `error` event as the error that ends the stream, its status taken from the error type.
    static func streamError(_ detail: JSONValue?, provider: String) -> BifrostError {
        let type = detail?["type"]?.stringValue
        let status: Int = switch type {
        case "invalid_request_error": 400
        case "authentication_error": 401
        case "permission_error": 403
        case "not_found_error": 404
        case "request_too_large": 413
        case "rate_limit_error": 429
        case "api_error": 500
        case "overloaded_error": 503
        case "timeout_error": 504
        default: 502
        }
        return BifrostError(message: detail?["message"]?.stringValue ?? "\(provider) stream failed", type: type,
                            statusCode: status, isBifrostError: false)
    }

    /// `value` as compact JSON text (tool-call arguments).
    static func jsonString(_ value: JSONValue) -> String {
        var writer = JSONWriter(capacity: 64)
        writer.json(value)
        return String(decoding: writer.bytes, as: UTF8.self)
    }
}
