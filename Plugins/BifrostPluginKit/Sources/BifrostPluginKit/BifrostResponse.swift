/// A provider's answer in OpenAI's shape (`chat.completion`, `text_completion`, `list` of embeddings,
/// or `chat.completion.chunk` when streaming), plus what the gateway adds in `extra_fields`.
public struct BifrostResponse: Sendable, Hashable, Codable {
    public var id: String
    public var object: String
    public var created: Int
    public var model: String
    public var choices: [Choice]
    public var usage: Usage?
    public var systemFingerprint: String?
    /// Embedding vectors, for embedding requests.
    public var data: [Embedding]?
    public var extraFields: ExtraFields

    public init(id: String, object: String, created: Int, model: String, choices: [Choice] = [], usage: Usage? = nil,
                systemFingerprint: String? = nil, data: [Embedding]? = nil, extraFields: ExtraFields) {
        self.id = id
        self.object = object
        self.created = created
        self.model = model
        self.choices = choices
        self.usage = usage
        self.systemFingerprint = systemFingerprint
        self.data = data
        self.extraFields = extraFields
    }

    enum CodingKeys: String, CodingKey {
        case id, object, created, model, choices, usage, data
        case systemFingerprint = "system_fingerprint", extraFields = "extra_fields"
    }
}

/// One choice: a message (chat), text (completion) or delta (stream chunk), and why it ended.
public struct Choice: Sendable, Hashable, Codable {
    public var index: Int
    public var message: BifrostMessage?
    public var text: String?
    public var delta: BifrostMessage?
    /// `stop`, `length`, `tool_calls`, `content_filter`.
    public var finishReason: String?

    public init(index: Int = 0, message: BifrostMessage? = nil, text: String? = nil, delta: BifrostMessage? = nil,
                finishReason: String? = nil) {
        self.index = index
        self.message = message
        self.text = text
        self.delta = delta
        self.finishReason = finishReason
    }

    enum CodingKeys: String, CodingKey {
        case index, message, text, delta
        case finishReason = "finish_reason"
    }
}

/// Token counts.
public struct Usage: Sendable, Hashable, Codable {
    public var promptTokens: Int
    public var completionTokens: Int
    public var totalTokens: Int
    /// Tokens read from a provider-side prompt cache.
    public var cachedTokens: Int?
    /// Tokens written to a provider-side prompt cache.
    public var cacheCreationTokens: Int?

    public init(promptTokens: Int, completionTokens: Int, totalTokens: Int? = nil, cachedTokens: Int? = nil,
                cacheCreationTokens: Int? = nil) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.totalTokens = totalTokens ?? promptTokens + completionTokens
        self.cachedTokens = cachedTokens
        self.cacheCreationTokens = cacheCreationTokens
    }

    enum CodingKeys: String, CodingKey {
        case promptTokens = "prompt_tokens", completionTokens = "completion_tokens", totalTokens = "total_tokens"
        case cachedTokens = "cached_tokens", cacheCreationTokens = "cache_creation_tokens"
    }
}

/// One embedding vector.
public struct Embedding: Sendable, Hashable, Codable {
    public var index: Int
    public var embedding: [Double]
    public var object: String

    public init(index: Int, embedding: [Double]) {
        self.index = index
        self.embedding = embedding
        object = "embedding"
    }
}

/// What the gateway adds: which provider and model answered, how long it took, and (when asked
/// for) the provider's raw response.
public struct ExtraFields: Sendable, Hashable, Codable {
    public var provider: String
    public var model: String
    /// Milliseconds from the provider call to its answer.
    public var latency: Int?
    public var rawResponse: JSONValue?

    public init(provider: String, model: String, latency: Int? = nil, rawResponse: JSONValue? = nil) {
        self.provider = provider
        self.model = model
        self.latency = latency
        self.rawResponse = rawResponse
    }

    enum CodingKeys: String, CodingKey {
        case provider, model, latency
        case rawResponse = "raw_response"
    }
}

/// A streamed answer: chunks in order; the stream throws a ``BifrostError`` when it fails midway.
public typealias BifrostStream = AsyncThrowingStream<BifrostResponse, any Error>
