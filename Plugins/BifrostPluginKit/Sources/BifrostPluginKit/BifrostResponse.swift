/// A provider's answer in OpenAI's shape (`chat.completion`, `text_completion`, `list` of embeddings,
/// or `chat.completion.chunk` when streaming), plus what the gateway adds in `extra_fields`.
///
/// A value type whose fields live in one shared box (copy on write), so passing it through hooks is cheap.
@frozen public struct BifrostResponse: Sendable, Hashable, Codable {
    private var box: CopyOnWriteBox<Fields>

    public var id: String {
        get { box.value.id }
        _modify { yield &changing().value.id }
    }
    public var object: String {
        get { box.value.object }
        _modify { yield &changing().value.object }
    }
    public var created: Int {
        get { box.value.created }
        _modify { yield &changing().value.created }
    }
    public var model: String {
        get { box.value.model }
        _modify { yield &changing().value.model }
    }
    /// The choices, decoded from ``deferredChoices`` when a provider left them as text. Changing
    /// them keeps them decoded from then on.
    public var choices: [Choice] {
        get { box.value.deferredChoices?.value ?? box.value.choices }
        _modify {
            let fields = changing()
            fields.value.decodeDeferredChoices()
            yield &fields.value.choices
        }
    }
    /// The choices as the provider's JSON text, until someone changes ``choices``; nil when they
    /// were given decoded. A provider sets this instead of ``choices`` to spare a response that goes
    /// out unchanged the decoding; whoever writes the response in OpenAI's format can copy the text.
    /// Setting nil decodes the text into ``choices``.
    public var deferredChoices: DeferredJSON<[Choice]>? {
        get { box.value.deferredChoices }
        set {
            let fields = changing()
            guard let newValue else { return fields.value.decodeDeferredChoices() }
            fields.value.deferredChoices = newValue
            fields.value.choices = []
        }
    }
    /// The provider's whole response body (an OpenAI-format object), while this response holds what
    /// was read from it unchanged: set by a provider last, cleared by any change to a field other than
    /// ``extraFields``. Whoever writes the response in OpenAI's format can copy it, adding `extra_fields`,
    /// and so keeps the members the gateway does not model (`service_tier`, usage details, ...).
    public var verbatimBody: JSONText? {
        get { box.value.verbatimBody }
        set { CopyOnWriteBox.unique(&box).value.verbatimBody = newValue }
    }
    public var usage: Usage? {
        get { box.value.usage }
        _modify { yield &changing().value.usage }
    }
    public var systemFingerprint: String? {
        get { box.value.systemFingerprint }
        _modify { yield &changing().value.systemFingerprint }
    }
    /// Embedding vectors, for embedding requests.
    public var data: [Embedding]? {
        get { box.value.deferredData?.value ?? box.value.data }
        _modify {
            let fields = changing()
            fields.value.decodeDeferredData()
            yield &fields.value.data
        }
    }
    /// The embeddings as the provider's JSON text, until someone changes ``data``: like
    /// ``deferredChoices``, for vectors that would otherwise be parsed and formatted number by number.
    /// Setting nil decodes the text into ``data``.
    public var deferredData: DeferredJSON<[Embedding]>? {
        get { box.value.deferredData }
        set {
            let fields = changing()
            guard let newValue else { return fields.value.decodeDeferredData() }
            fields.value.deferredData = newValue
            fields.value.data = nil
        }
    }
    public var extraFields: ExtraFields {
        get { box.value.extraFields }
        _modify { yield &CopyOnWriteBox.unique(&box).value.extraFields }
    }

    public init(id: String, object: String, created: Int, model: String, choices: [Choice] = [], usage: Usage? = nil,
                systemFingerprint: String? = nil, data: [Embedding]? = nil, extraFields: ExtraFields) {
        box = CopyOnWriteBox(Fields(id: id, object: object, created: created, model: model, choices: choices, usage: usage,
                                    systemFingerprint: systemFingerprint, data: data, extraFields: extraFields))
    }

    /// The box, unique, for a change that makes ``verbatimBody`` stale.
    private mutating func changing() -> CopyOnWriteBox<Fields> {
        let fields = CopyOnWriteBox.unique(&box)
        fields.value.verbatimBody = nil
        return fields
    }

    public init(from decoder: any Decoder) throws {
        box = CopyOnWriteBox(try Fields(from: decoder))
    }

    public func encode(to encoder: any Encoder) throws {
        try box.value.decoded.encode(to: encoder)
    }

    /// Equal when their fields are, however the choices are held.
    public static func == (lhs: BifrostResponse, rhs: BifrostResponse) -> Bool {
        lhs.box === rhs.box || lhs.box.value.decoded == rhs.box.value.decoded
    }

    public func hash(into hasher: inout Hasher) {
        box.value.decoded.hash(into: &hasher)
    }

    @usableFromInline struct Fields: Sendable, Hashable, Codable {
        var id: String
        var object: String
        var created: Int
        var model: String
        var choices: [Choice]
        var usage: Usage?
        var systemFingerprint: String?
        var data: [Embedding]?
        var extraFields: ExtraFields
        /// When set, the choices (and `choices` is empty).
        var deferredChoices: DeferredJSON<[Choice]>? = nil
        var verbatimBody: JSONText? = nil

        enum CodingKeys: String, CodingKey {
            case id, object, created, model, choices, usage, data
            case systemFingerprint = "system_fingerprint", extraFields = "extra_fields"
        }

        /// When set, the embeddings (and `data` is nil).
        var deferredData: DeferredJSON<[Embedding]>? = nil

        mutating func decodeDeferredChoices() {
            guard let deferred = deferredChoices else { return }
            choices = deferred.value
            deferredChoices = nil
        }

        mutating func decodeDeferredData() {
            guard let deferred = deferredData else { return }
            data = deferred.value
            deferredData = nil
        }

        /// These fields with the choices decoded.
        /// These fields with the choices decoded and no verbatim body: what equality, hashing and
        /// Codable see, however the response was read.
        var decoded: Fields {
            var fields = self
            fields.decodeDeferredChoices()
            fields.decodeDeferredData()
            fields.verbatimBody = nil
            return fields
        }
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
