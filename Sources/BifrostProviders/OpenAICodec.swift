import BifrostCore
import BifrostPluginKit

/// OpenAI's wire format, written without Codable: request bodies from a ``BifrostRequest``; usage
/// and integers from parsed stream chunks. Whole responses are read by ``OpenAIResponseDecoder``.
enum OpenAICodec {
    /// The member a provider takes a chat request's token limit in.
    enum TokenLimitName: Sendable {
        /// Always this one: `max_tokens` for servers that know no other, `max_completion_tokens` for
        /// OpenAI (all its chat models accept it, its reasoning models nothing else).
        case fixed(MaxTokensField)
        /// The name the client used (``ModelParameters/maxTokensField``): for Azure and custom endpoints,
        /// where reasoning models take only `max_completion_tokens` and older API versions or servers
        /// only `max_tokens`.
        case clients
    }

    /// The request body: known parameters by name, then `extra` parameters untouched. Text
    /// completions always name the limit `max_tokens` (the legacy API has no other).
    static func requestBody(_ request: BifrostRequest, stream: Bool, tokenLimit: TokenLimitName = .fixed(.maxTokens)) -> [UInt8] {
        var writer = JSONWriter(capacity: 512)
        writer.open()
        writer.member("model", request.model)
        switch request.input {
        case .chat(let messages):
            writer.key("messages")
            writer.array(messages) { $0.write($1) }
        case .text(let prompt):
            writer.member("prompt", prompt)
        case .embedding(let inputs):
            writer.key("input")
            writer.array(inputs) { $0.string($1) }
        }
        let params = request.params
        func number(_ name: StaticString, _ value: Double?) {
            guard let value else { return }
            writer.key(name)
            writer.number(value)
        }
        number("temperature", params.temperature)
        number("top_p", params.topP)
        if let maxTokens = params.maxTokens {
            let named = switch tokenLimit {
            case .fixed(let field): field
            case .clients: params.maxTokensField
            }
            let completionTokens = named == .maxCompletionTokens && request.input.kind == .chatCompletion
            writer.member(completionTokens ? "max_completion_tokens" : "max_tokens", maxTokens)
        }
        if let stop = params.stop {
            writer.key("stop")
            writer.array(stop) { $0.string($1) }
        }
        number("presence_penalty", params.presencePenalty)
        number("frequency_penalty", params.frequencyPenalty)
        if let format = params.responseFormat {
            writer.key("response_format")
            writer.json(format)
        }
        if let tools = params.tools, !tools.isEmpty {
            writer.key("tools")
            writer.array(tools) { writer, tool in
                writer.open()
                writer.member("type", tool.type)
                writer.key("function")
                writer.open()
                writer.member("name", tool.function.name)
                if let description = tool.function.description { writer.member("description", description) }
                if let parameters = tool.function.parameters {
                    writer.key("parameters")
                    writer.json(parameters)
                }
                writer.close()
                writer.close()
            }
        }
        if let choice = params.toolChoice {
            writer.key("tool_choice")
            switch choice {
            case .none: writer.string("none")
            case .auto: writer.string("auto")
            case .required: writer.string("required")
            case .function(let name):
                writer.json(.object(["type": .string("function"), "function": .object(["name": .string(name)])]))
            }
        }
        if let parallel = params.parallelToolCalls {
            writer.key("parallel_tool_calls")
            writer.raw(parallel ? "true" : "false")
        }
        if let seed = params.seed { writer.member("seed", seed) }
        if let user = params.user { writer.member("user", user) }
        if stream {
            writer.key("stream")
            writer.raw("true")
            writer.key("stream_options")
            writer.json(.object(["include_usage": .bool(true)]))
        }
        for (name, value) in params.extra.sorted(by: { $0.key < $1.key }) {
            writer.key(named: name)
            writer.json(value)
        }
        writer.close()
        return writer.bytes
    }

    static func usage(_ value: JSONValue?) -> Usage? {
        guard let value, case .object = value else { return nil }
        return Usage(promptTokens: integer(value["prompt_tokens"]) ?? 0, completionTokens: integer(value["completion_tokens"]) ?? 0,
                     totalTokens: integer(value["total_tokens"]), cachedTokens: integer(value["prompt_tokens_details"]?["cached_tokens"]))
    }

    static func integer(_ value: JSONValue?) -> Int? {
        guard let number = value?.numberValue, number.rounded() == number, abs(number) < 1e15 else { return nil }
        return Int(number)
    }
}
