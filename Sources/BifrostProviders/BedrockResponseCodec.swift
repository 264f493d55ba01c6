import BifrostCore
import BifrostHTTP
import BifrostPluginKit

/// Reads Bedrock Converse answers and errors.
enum BedrockResponseCodec {
    /// A Converse response: `output.message.content` (text and `toolUse` blocks), `stopReason`, `usage`.
    static func response(_ value: JSONValue, request: BifrostRequest, provider: String, now: Int) throws(BifrostError)
        -> BifrostResponse {
        guard case .array(let blocks)? = value["output"]?["message"]?["content"] else {
            throw BifrostError(message: "\(provider) returned JSON that is not a Converse response", type: "invalid_response",
                               statusCode: 502)
        }
        var text = ""
        var calls: [ToolCall] = []
        for block in blocks {
            if let piece = block["text"]?.stringValue { text += piece }
            if let use = block["toolUse"] {
                var arguments = JSONWriter(capacity: 64)
                arguments.json(use["input"] ?? .object([:]))
                calls.append(ToolCall(id: use["toolUseId"]?.stringValue ?? "", name: use["name"]?.stringValue ?? "",
                                      arguments: String(decoding: arguments.bytes, as: UTF8.self)))
            }
        }
        let message = BifrostMessage(role: "assistant", content: text.isEmpty && !calls.isEmpty ? nil : .text(text),
                                     toolCalls: calls.isEmpty ? nil : calls)
        let finish = finishReason(value["stopReason"]?.stringValue)
        let isText = request.input.kind == .textCompletion
        let choice = isText ? Choice(text: text, finishReason: finish) : Choice(message: message, finishReason: finish)
        return BifrostResponse(id: "bedrock-\(now)-\(UInt32.random(in: 0...UInt32.max))",
                               object: isText ? "text_completion" : "chat.completion", created: now, model: request.model,
                               choices: [choice], usage: usage(value["usage"]),
                               extraFields: ExtraFields(provider: provider, model: request.model))
    }

    /// `usage {inputTokens, outputTokens, cacheReadInputTokens, cacheWriteInputTokens}`.
    static func usage(_ value: JSONValue?) -> Usage? {
        guard let value, let input = OpenAICodec.integer(value["inputTokens"]) else { return nil }
        let cacheRead = OpenAICodec.integer(value["cacheReadInputTokens"])
        let cacheWrite = OpenAICodec.integer(value["cacheWriteInputTokens"])
        return Usage(promptTokens: input + (cacheRead ?? 0) + (cacheWrite ?? 0),
                     completionTokens: OpenAICodec.integer(value["outputTokens"]) ?? 0,
                     cachedTokens: cacheRead, cacheCreationTokens: cacheWrite)
    }

    /// Bedrock's `stopReason` as OpenAI's `finish_reason`.
    static func finishReason(_ stopReason: String?) -> String? {
        switch stopReason {
        case nil: nil
        case "end_turn", "stop_sequence": "stop"
        case "max_tokens": "length"
        case "tool_use": "tool_calls"
        case "guardrail_intervened", "content_filtered": "content_filter"
        default: "stop"
        }
    }

    /// An error answer: `{"message": ...}` with the type in `x-amzn-ErrorType` (`ThrottlingException:...`)
    /// or the body's `__type`; throttling keeps 429 (retried), validation 400, access denied 403.
    static func upstreamError(status code: Int, body: [UInt8], headers: HTTPHeaders, provider: String) -> BifrostError {
        let value = try? JSONParser.parse(body)
        let rawType = headers["x-amzn-errortype"] ?? value?["__type"]?.stringValue ?? ""
        let type = rawType.split(separator: ":").first.map(String.init)?.split(separator: "#").last.map(String.init) ?? ""
        let message = value?["message"]?.stringValue ?? value?["Message"]?.stringValue ?? "\(provider) returned HTTP \(code)"
        return BifrostError(message: message, type: type.isEmpty ? nil : type, statusCode: status(for: type, default: code),
                            isBifrostError: false, retryAfter: headers["retry-after"].flatMap(Double.init))
    }

    /// The HTTP status for a Bedrock exception name (used for stream exceptions too).
    static func status(for exception: String, default fallback: Int) -> Int {
        switch exception.lowercased() {
        case "throttlingexception", "toomanyrequestsexception": 429
        case "validationexception": 400
        case "accessdeniedexception", "unrecognizedclientexception": 403
        case "resourcenotfoundexception": 404
        case "modeltimeoutexception": 408
        case "servicequotaexceededexception": 429
        case "serviceunavailableexception", "modelnotreadyexception": 503
        case "internalserverexception", "modelstreamerrorexception", "modelerrorexception": fallback >= 500 ? fallback : 500
        default: fallback
        }
    }
}
