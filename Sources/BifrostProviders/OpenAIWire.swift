import BifrostPluginKit
import Foundation

/// OpenAI's request bodies, written from a ``BifrostRequest``: the known parameters by name, then
/// every `extra` parameter as it came (provider-specific parameters pass through untouched).
struct OpenAIRequestBody: Encodable {
    let request: BifrostRequest
    let stream: Bool

    struct Key: CodingKey {
        let stringValue: String
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(request.model, forKey: Key("model"))
        switch request.input {
        case .chat(let messages): try container.encode(messages, forKey: Key("messages"))
        case .text(let prompt): try container.encode(prompt, forKey: Key("prompt"))
        case .embedding(let inputs): try container.encode(inputs, forKey: Key("input"))
        }
        let params = request.params
        try container.encodeIfPresent(params.temperature, forKey: Key("temperature"))
        try container.encodeIfPresent(params.topP, forKey: Key("top_p"))
        try container.encodeIfPresent(params.maxTokens, forKey: Key("max_tokens"))
        try container.encodeIfPresent(params.stop, forKey: Key("stop"))
        try container.encodeIfPresent(params.presencePenalty, forKey: Key("presence_penalty"))
        try container.encodeIfPresent(params.frequencyPenalty, forKey: Key("frequency_penalty"))
        try container.encodeIfPresent(params.responseFormat, forKey: Key("response_format"))
        if let tools = params.tools, !tools.isEmpty { try container.encode(tools, forKey: Key("tools")) }
        try container.encodeIfPresent(params.toolChoice, forKey: Key("tool_choice"))
        try container.encodeIfPresent(params.parallelToolCalls, forKey: Key("parallel_tool_calls"))
        try container.encodeIfPresent(params.seed, forKey: Key("seed"))
        try container.encodeIfPresent(params.user, forKey: Key("user"))
        if stream {
            try container.encode(true, forKey: Key("stream"))
            try container.encode(JSONValue.object(["include_usage": .bool(true)]), forKey: Key("stream_options"))
        }
        for (name, value) in params.extra.sorted(by: { $0.key < $1.key }) {
            try container.encode(value, forKey: Key(name))
        }
    }
}

/// OpenAI's `chat.completion`, `text_completion` and `chat.completion.chunk`, as decoded.
struct OpenAIResponseBody: Decodable {
    struct Choice: Decodable {
        let index: Int?
        let message: BifrostMessage?
        let delta: Delta?
        let text: String?
        let finish_reason: String?
    }

    /// A stream delta: tool calls carry an `index` and only the first piece has the id and name.
    struct Delta: Decodable {
        let role: String?
        let content: String?
        let tool_calls: [ToolCallDelta]?
    }

    struct ToolCallDelta: Decodable {
        let index: Int?
        let id: String?
        let function: FunctionDelta?
    }

    struct FunctionDelta: Decodable {
        let name: String?
        let arguments: String?
    }

    struct UsageBody: Decodable {
        let prompt_tokens: Int?
        let completion_tokens: Int?
        let total_tokens: Int?
        let prompt_tokens_details: Details?
        struct Details: Decodable { let cached_tokens: Int? }
    }

    let id: String?
    let object: String?
    let created: Int?
    let model: String?
    let choices: [Choice]?
    let usage: UsageBody?
    let system_fingerprint: String?

    var bifrostUsage: Usage? {
        guard let usage else { return nil }
        return Usage(promptTokens: usage.prompt_tokens ?? 0, completionTokens: usage.completion_tokens ?? 0,
                     totalTokens: usage.total_tokens, cachedTokens: usage.prompt_tokens_details?.cached_tokens)
    }
}

/// OpenAI's embeddings list.
struct OpenAIEmbeddingsBody: Decodable {
    struct Item: Decodable {
        let index: Int
        let embedding: [Double]
    }
    let data: [Item]
    let model: String?
    let usage: OpenAIResponseBody.UsageBody?
}

/// OpenAI's error body: `{"error": {"message", "type", "param", "code"}}`.
struct OpenAIErrorBody: Decodable {
    struct Detail: Decodable {
        let message: String?
        let type: String?
        let param: String?
        let code: JSONValue?
    }
    let error: Detail?
}
