import BifrostCore
import BifrostHTTP
import BifrostPluginKit

/// Cohere's v2 chat API (`POST /v2/chat`): OpenAI-like messages (system, user, assistant with
/// `tool_calls`, tool with `tool_call_id`), tools as `{type: function, function}`, sampling as `p`/`k`,
/// and answers with `message.content[]` text blocks, `tool_calls`, `finish_reason` and `usage.tokens`.
enum CohereCodec {
    static func requestBody(_ request: BifrostRequest, provider: String, stream: Bool) throws(BifrostError) -> [UInt8] {
        let messages = try request.input.chatMessages(
            unsupported: .unsupported("\(provider) embeddings are not served through chat"))
        let params = request.params
        var body: [String: JSONValue] = ["model": .string(request.model), "messages": .array(messages.map(message))]
        if stream { body["stream"] = .bool(true) }
        if let temperature = params.temperature { body["temperature"] = .number(temperature) }
        if let topP = params.topP { body["p"] = .number(topP) }
        if let topK = params.topK { body["k"] = .number(Double(topK)) }
        if let maxTokens = params.maxTokens { body["max_tokens"] = .number(Double(maxTokens)) }
        if let stop = params.stop, !stop.isEmpty { body["stop_sequences"] = .array(stop.map(JSONValue.string)) }
        if let seed = params.seed { body["seed"] = .number(Double(seed)) }
        if let presence = params.presencePenalty { body["presence_penalty"] = .number(presence) }
        if let frequency = params.frequencyPenalty { body["frequency_penalty"] = .number(frequency) }
        if let format = params.responseFormat { body["response_format"] = format }
        if let tools = params.tools, !tools.isEmpty {
            body["tools"] = .array(tools.map { tool in
                var function: [String: JSONValue] = ["name": .string(tool.function.name)]
                if let description = tool.function.description { function["description"] = .string(description) }
                function["parameters"] = tool.function.parameters ?? .object(["type": .string("object")])
                return .object(["type": .string("function"), "function": .object(function)])
            })
            switch params.toolChoice {
            case .required?, .function?: body["tool_choice"] = .string("REQUIRED")
            case .none?: body["tool_choice"] = .string("NONE")
            case .auto?, nil: break
            }
        }
        for (name, value) in params.extra { body[name] = value }
        var writer = JSONWriter(capacity: 512)
        writer.json(.object(body))
        return writer.bytes
    }

    private static func message(_ message: BifrostMessage) -> JSONValue {
        var fields: [String: JSONValue] = ["role": .string(message.role == "developer" ? "system" : message.role)]
        switch message.content {
        case .text(let text)?: fields["content"] = .string(text)
        case .parts(let parts)?:
            fields["content"] = .array(parts.map { part in
                switch part {
                case .text(let text): .object(["type": .string("text"), "text": .string(text)])
                case .image(let url, _): .object(["type": .string("image_url"), "image_url": .object(["url": .string(url)])])
                }
            })
        case nil: break
        }
        if let calls = message.toolCalls, !calls.isEmpty {
            fields["tool_calls"] = .array(calls.map { call in
                .object(["id": .string(call.id), "type": .string("function"),
                         "function": .object(["name": .string(call.function.name), "arguments": .string(call.function.arguments)])])
            })
        }
        if let id = message.toolCallID { fields["tool_call_id"] = .string(id) }
        return .object(fields)
    }

    /// A chat answer in OpenAI's shape.
    static func response(_ value: JSONValue, request: BifrostRequest, provider: String, now: Int) throws(BifrostError) -> BifrostResponse {
        guard let message = value["message"] else {
            throw BifrostError(message: "\(provider) returned JSON that is not a chat response", type: "invalid_response", statusCode: 502)
        }
        var text = ""
        if case .array(let blocks)? = message["content"] {
            for block in blocks where block["type"]?.stringValue == "text" { text += block["text"]?.stringValue ?? "" }
        }
        let calls = toolCalls(message["tool_calls"])
        let reply = BifrostMessage(role: "assistant", content: text.isEmpty && !calls.isEmpty ? nil : .text(text),
                                   toolCalls: calls.isEmpty ? nil : calls)
        let finish = finishReason(value["finish_reason"]?.stringValue)
        let isText = request.input.kind == .textCompletion
        return BifrostResponse(id: value["id"]?.stringValue ?? "cohere-\(now)", object: isText ? "text_completion" : "chat.completion",
                               created: now, model: request.model,
                               choices: [isText ? Choice(text: text, finishReason: finish) : Choice(message: reply, finishReason: finish)],
                               usage: usage(value["usage"]), extraFields: ExtraFields(provider: provider, model: request.model))
    }

    /// Cohere's errors are `{"id", "message"}`; OpenAI-style bodies (from proxies) are read as well.
    static func upstreamError(status: Int, body: [UInt8], headers: HTTPHeaders, provider: String) -> BifrostError {
        var error = ProviderErrors.upstream(status: status, body: body, headers: headers, provider: provider)
        if let message = (try? JSONParser.parse(body))?["message"]?.stringValue { error.error.message = message }
        return error
    }

    static func toolCalls(_ value: JSONValue?) -> [ToolCall] {
        guard case .array(let items)? = value else { return [] }
        return items.map { item in
            ToolCall(id: item["id"]?.stringValue ?? "", name: item["function"]?["name"]?.stringValue ?? "",
                     arguments: item["function"]?["arguments"]?.stringValue ?? "")
        }
    }

    /// `COMPLETE`/`STOP_SEQUENCE` → stop, `MAX_TOKENS` → length, `TOOL_CALL` → tool_calls.
    static func finishReason(_ reason: String?) -> String? {
        switch reason {
        case nil: nil
        case "MAX_TOKENS": "length"
        case "TOOL_CALL": "tool_calls"
        case "ERROR", "TIMEOUT": "error"
        default: "stop"
        }
    }

    /// `usage.tokens` (what the model processed), else `usage.billed_units`.
    static func usage(_ value: JSONValue?) -> Usage? {
        guard let counts = value?["tokens"] ?? value?["billed_units"], let input = OpenAICodec.integer(counts["input_tokens"]) else {
            return nil
        }
        return Usage(promptTokens: input, completionTokens: OpenAICodec.integer(counts["output_tokens"]) ?? 0)
    }
}

/// Cohere's v2 stream events (`message-start`, `content-delta`, `tool-call-start`, `tool-call-delta`,
/// `message-end`, ...) as Bifrost chunks; `message-end` ends the stream with its finish reason and usage.
struct CohereStreamTranslator: StreamTranslator {
    let provider: String
    let model: String
    let created: Int
    private var id = ""
    private var toolIDs: [Int: String] = [:]
    private(set) var isFinished = false
    var endMarker: String { "message-end" }

    init(provider: String, model: String, created: Int) {
        self.provider = provider
        self.model = model
        self.created = created
    }

    mutating func translate(_ event: [UInt8]) throws -> BifrostResponse? {
        let value = try parseStreamEvent(event, provider: provider)
        let delta = value["delta"]?["message"]
        let index = OpenAICodec.integer(value["index"]) ?? 0
        switch value["type"]?.stringValue {
        case "message-start":
            id = value["id"]?.stringValue ?? ""
            return chunk(BifrostMessage(role: "assistant", content: .text("")))
        case "content-delta":
            guard let text = delta?["content"]?["text"]?.stringValue else { return nil }
            return chunk(BifrostMessage(role: "", content: .text(text)))
        case "tool-call-start":
            let call = delta?["tool_calls"]
            let callID = call?["id"]?.stringValue ?? "call_\(index)"
            toolIDs[index] = callID
            return chunk(BifrostMessage(role: "", toolCalls: [ToolCall(id: callID, name: call?["function"]?["name"]?.stringValue ?? "",
                                                                       arguments: call?["function"]?["arguments"]?.stringValue ?? "",
                                                                       index: index)]))
        case "tool-call-delta":
            guard let arguments = delta?["tool_calls"]?["function"]?["arguments"]?.stringValue else { return nil }
            return chunk(BifrostMessage(role: "", toolCalls: [ToolCall(id: toolIDs[index] ?? "", name: "", arguments: arguments,
                                                                       index: index)]))
        case "message-end":
            isFinished = true
            let end = value["delta"]
            var last = chunk(BifrostMessage(role: ""), finishReason: CohereCodec.finishReason(end?["finish_reason"]?.stringValue))
            last.usage = CohereCodec.usage(end?["usage"])
            return last
        default:
            return nil  // content-start/end, tool-plan-delta, tool-call-end, citations
        }
    }

    private func chunk(_ delta: BifrostMessage, finishReason: String? = nil) -> BifrostResponse {
        BifrostResponse(id: id, object: "chat.completion.chunk", created: created, model: model,
                        choices: [Choice(delta: delta, finishReason: finishReason)], extraFields: ExtraFields(provider: provider, model: model))
    }
}
