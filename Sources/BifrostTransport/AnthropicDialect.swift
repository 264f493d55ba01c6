import BifrostCore
import BifrostHTTP
import BifrostPluginKit

/// Anthropic's shape for `POST /anthropic/v1/messages`: a Messages request in, a `message` (or
/// Anthropic's stream events) out, and failures as `{"type":"error","error":{type, message}}` so
/// that Anthropic SDKs raise their own exception classes. Any provider can answer behind it.
struct AnthropicDialect: RouteDialect {
    /// Configured providers (a `provider/` prefix that is not one of them is part of the model name).
    let knownProviders: Set<String>

    func decode(_ body: [UInt8]) throws(BifrostError) -> BifrostRequest {
        do throws(RequestValidationError) {
            return try AnthropicRequestDecoder.decode(body, knownProviders: knownProviders)
        } catch {
            throw error.bifrostError
        }
    }

    func response(_ response: BifrostResponse) -> HTTPResponse {
        .json(.ok, AnthropicWire.message(response))
    }

    func error(_ error: BifrostError) -> HTTPResponse {
        var response = HTTPResponse.json(HTTPStatus(code: error.httpStatus), AnthropicWire.error(error))
        if let retryAfter = error.retryAfter, [429, 503, 529].contains(error.httpStatus) {
            response.headers.add(name: "Retry-After", value: String(Int(retryAfter.rounded(.up))))
        }
        return response
    }

    func events(for request: BifrostRequest) -> AnthropicEvents { AnthropicEvents(model: request.model) }
}

/// Anthropic's JSON shapes, written from Bifrost's values.
enum AnthropicWire {
    /// A `message` object from a chat completion.
    static func message(_ response: BifrostResponse) -> [UInt8] {
        let choice = response.choices.first
        var writer = JSONWriter(capacity: 512)
        writer.open()
        writer.member("id", response.id)
        writer.member("type", "message")
        writer.member("role", "assistant")
        writer.member("model", response.model)
        writer.key("content")
        var blocks: [(inout JSONWriter) -> Void] = []
        let text = choice?.message?.content?.plainText ?? choice?.text ?? ""
        if !text.isEmpty {
            blocks.append { writer in
                writer.open()
                writer.member("type", "text")
                writer.member("text", text)
                writer.close()
            }
        }
        for call in choice?.message?.toolCalls ?? [] {
            blocks.append { writer in toolUse(call, into: &writer, input: toolInput(call.function.arguments)) }
        }
        writer.array(blocks) { writer, block in block(&writer) }
        writer.key("stop_reason")
        writer.string(stopReason(choice?.finishReason), separated: false)
        writer.key("stop_sequence")
        writer.raw("null")
        writer.key("usage")
        usage(response.usage, into: &writer)
        writer.close()
        return writer.bytes
    }

    /// `{"type":"tool_use","id","name","input"}`.
    static func toolUse(_ call: ToolCall, into writer: inout JSONWriter, input: JSONValue) {
        writer.open()
        writer.member("type", "tool_use")
        writer.member("id", call.id)
        writer.member("name", call.function.name)
        writer.key("input")
        writer.json(input)
        writer.close()
    }

    /// A tool call's arguments as the object Anthropic's `input` is (an empty object when they are
    /// not a JSON object).
    static func toolInput(_ arguments: String) -> JSONValue {
        if let value = try? JSONParser.parse(Array(arguments.utf8)), case .object = value { return value }
        return .object([:])
    }

    /// Anthropic's usage: `input_tokens` excludes the prompt tokens read from or written to the cache.
    static func usage(_ usage: Usage?, into writer: inout JSONWriter) {
        let cached = usage?.cachedTokens ?? 0
        let created = usage?.cacheCreationTokens ?? 0
        writer.open()
        writer.member("input_tokens", max(0, (usage?.promptTokens ?? 0) - cached - created))
        writer.member("output_tokens", usage?.completionTokens ?? 0)
        if usage?.cachedTokens != nil { writer.member("cache_read_input_tokens", cached) }
        if usage?.cacheCreationTokens != nil { writer.member("cache_creation_input_tokens", created) }
        writer.close()
    }

    /// OpenAI's `finish_reason` as Anthropic's `stop_reason`.
    static func stopReason(_ finishReason: String?) -> String {
        switch finishReason {
        case "length": "max_tokens"
        case "tool_calls", "function_call": "tool_use"
        case "content_filter": "refusal"
        default: "end_turn"
        }
    }

    /// `{"type":"error","error":{"type","message"}}`.
    static func error(_ error: BifrostError) -> [UInt8] {
        var writer = JSONWriter(capacity: 160)
        errorObject(error, into: &writer)
        return writer.bytes
    }

    static func errorObject(_ error: BifrostError, into writer: inout JSONWriter) {
        writer.open()
        writer.member("type", "error")
        writer.key("error")
        writer.open()
        writer.member("type", errorType(status: error.httpStatus))
        writer.member("message", error.error.message)
        writer.close()
        writer.close()
    }

    /// Anthropic's error types by HTTP status.
    static func errorType(status: Int) -> String {
        switch status {
        case 400, 422: "invalid_request_error"
        case 401: "authentication_error"
        case 402: "billing_error"
        case 403: "permission_error"
        case 404: "not_found_error"
        case 413: "request_too_large"
        case 429: "rate_limit_error"
        case 503, 529: "overloaded_error"
        case 504: "timeout_error"
        default: "api_error"
        }
    }
}
