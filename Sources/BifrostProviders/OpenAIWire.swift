import BifrostPluginKit
import Foundation

/// OpenAI's `chat.completion.chunk` (stream events), as decoded.
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
