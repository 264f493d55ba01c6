import BifrostHTTP

/// The parts of every answer that depend only on ``MockOptions``, JSON-escaped once at start-up.
struct ReplyTemplates: Sendable {
    /// The reply text, escaped, without quotes.
    let text: [UInt8]
    /// The reply's words, escaped, each followed by a space: the content deltas of a stream.
    let spacedWords: [[UInt8]]
    /// The same words without the trailing space, for the last delta of a stream.
    let bareWords: [[UInt8]]
    /// One embedding vector as a JSON array, e.g. `[0.013,-0.021,...]`.
    let embeddingVector: [UInt8]
    /// The whole `GET /v1/models` body.
    let modelsBody: [UInt8]

    /// Output tokens reported for a tool call.
    static let toolCallTokens = 10

    init(options: MockOptions) {
        text = Self.escaped(options.replyText)
        var words = options.replyText.split(separator: " ").map { Self.escaped(String($0)) }
        if words.isEmpty { words = [text] }
        bareWords = words
        spacedWords = words.map { $0 + [UInt8(ascii: " ")] }
        embeddingVector = Self.vector(dimensions: max(1, options.embeddingDimensions))
        modelsBody = Self.models(options.modelIDs)
    }

    /// Output tokens of the plain (non-streamed) reply: one per word.
    var wordCount: Int { bareWords.count }

    /// The `index`-th of `total` content deltas: the reply's words, repeated if `total` is larger.
    func delta(_ index: Int, of total: Int) -> [UInt8] {
        index == total - 1 ? bareWords[index % bareWords.count] : spacedWords[index % spacedWords.count]
    }

    private static func escaped(_ text: String) -> [UInt8] {
        Array(JSONString.quote(text).utf8.dropFirst().dropLast())
    }

    private static func vector(dimensions: Int) -> [UInt8] {
        let values = (0..<dimensions).map { index -> String in
            let thousandths = (index * 37 + 11) % 200 - 100
            return String(Double(thousandths) / 1000)
        }
        return Array(("[" + values.joined(separator: ",") + "]").utf8)
    }

    /// A list both SDKs read: OpenAI's fields (`object`, `created`, `owned_by`) and Anthropic's
    /// (`type`, `display_name`, `created_at`, `has_more`, `first_id`, `last_id`).
    private static func models(_ ids: [String]) -> [UInt8] {
        let entries = ids.map { id in
            let quoted = JSONString.quote(id)
            return "{\"id\":\(quoted),\"object\":\"model\",\"created\":1700000000,\"owned_by\":\"bifrost-mock\","
                + "\"type\":\"model\",\"display_name\":\(quoted),\"created_at\":\"2023-11-14T22:13:20Z\"}"
        }
        let first = ids.first.map(JSONString.quote) ?? "null"
        let last = ids.last.map(JSONString.quote) ?? "null"
        return Array(("{\"object\":\"list\",\"data\":[" + entries.joined(separator: ",")
            + "],\"has_more\":false,\"first_id\":\(first),\"last_id\":\(last)}").utf8)
    }
}

/// What one answer is made of besides the templates.
struct ReplyContext: Sendable {
    /// A per-process request number, used in ids (`chatcmpl-mock-<n>`, `msg_mock_<n>`).
    let sequence: Int
    /// Unix seconds.
    let created: Int
    /// The request's model, raw (still escaped) as it came.
    let model: ArraySlice<UInt8>
    /// Estimated input tokens: one per four bytes of request body.
    let promptTokens: Int
    /// When set, the answer is a call of this tool (raw name) instead of text.
    let toolName: ArraySlice<UInt8>?
    /// Content deltas when streaming.
    let deltaCount: Int
}

extension Array where Element == UInt8 {
    /// Appends an OpenAI `"usage":{...}` member (no leading comma).
    mutating func appendOpenAIUsage(prompt: Int, completion: Int) {
        appendLiteral(#""usage":{"prompt_tokens":"#)
        appendDecimal(prompt)
        appendLiteral(#","completion_tokens":"#)
        appendDecimal(completion)
        appendLiteral(#","total_tokens":"#)
        appendDecimal(prompt + completion)
        append(UInt8(ascii: "}"))
    }
}
