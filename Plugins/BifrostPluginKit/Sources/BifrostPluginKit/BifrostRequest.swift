/// A provider and model to try when the primary fails.
public struct Fallback: Sendable, Hashable, Codable {
    public var provider: String
    public var model: String

    public init(provider: String, model: String) {
        self.provider = provider
        self.model = model
    }
}

/// What a request asks for: a chat, a text completion or embeddings.
@frozen public enum RequestInput: Sendable, Hashable {
    case chat([BifrostMessage])
    case text(String)
    case embedding([String])

    /// The kind of call, as routes and metrics name it.
    public var kind: RequestKind {
        switch self {
        case .chat: .chatCompletion
        case .text: .textCompletion
        case .embedding: .embedding
        }
    }
}

/// The kinds of provider call.
@frozen public enum RequestKind: String, Sendable, Hashable, Codable {
    case chatCompletion = "chat_completion"
    case textCompletion = "text_completion"
    case embedding
}

/// One request through the gateway: where it goes, what it says, how to tune it, what to try next.
///
/// A value type whose fields live in one shared box (copy on write), so passing it through hooks is cheap.
@frozen public struct BifrostRequest: Sendable, Hashable {
    private var box: CopyOnWriteBox<Fields>

    /// Lowercase provider name, e.g. `openai`.
    public var provider: String {
        get { box.value.provider }
        _modify { yield &CopyOnWriteBox.unique(&box).value.provider }
    }
    public var model: String {
        get { box.value.model }
        _modify { yield &CopyOnWriteBox.unique(&box).value.model }
    }
    public var input: RequestInput {
        get { box.value.input }
        _modify { yield &CopyOnWriteBox.unique(&box).value.input }
    }
    public var params: ModelParameters {
        get { box.value.params }
        _modify { yield &CopyOnWriteBox.unique(&box).value.params }
    }
    /// Tried in order after the primary fails.
    public var fallbacks: [Fallback] {
        get { box.value.fallbacks }
        _modify { yield &CopyOnWriteBox.unique(&box).value.fallbacks }
    }
    /// Stream the answer as server-sent events.
    public var stream: Bool {
        get { box.value.stream }
        _modify { yield &CopyOnWriteBox.unique(&box).value.stream }
    }

    public init(provider: String, model: String, input: RequestInput, params: ModelParameters = ModelParameters(),
                fallbacks: [Fallback] = [], stream: Bool = false) {
        box = CopyOnWriteBox(Fields(provider: provider, model: model, input: input, params: params,
                                    fallbacks: fallbacks, stream: stream))
    }

    public static func == (lhs: BifrostRequest, rhs: BifrostRequest) -> Bool {
        lhs.box === rhs.box || lhs.box.value == rhs.box.value
    }

    public func hash(into hasher: inout Hasher) {
        box.value.hash(into: &hasher)
    }

    @usableFromInline struct Fields: Sendable, Hashable {
        var provider: String
        var model: String
        var input: RequestInput
        var params: ModelParameters
        var fallbacks: [Fallback]
        var stream: Bool
    }
}

/// Generation parameters. `extra` carries provider-specific parameters through untouched.
public struct ModelParameters: Sendable, Hashable, Codable {
    public var temperature: Double?
    public var topP: Double?
    public var topK: Int?
    /// The token limit, whichever of OpenAI's names the client gave it.
    public var maxTokens: Int?
    /// The OpenAI name the client gave the limit; Azure and custom OpenAI-compatible providers get it
    /// under that name (meaningless without a limit).
    public var maxTokensField: MaxTokensField = .maxTokens
    public var stop: [String]?
    public var presencePenalty: Double?
    public var frequencyPenalty: Double?
    public var responseFormat: JSONValue?
    public var tools: [Tool]?
    public var toolChoice: ToolChoice?
    public var parallelToolCalls: Bool?
    public var seed: Int?
    public var user: String?
    /// Parameters this gateway does not interpret, passed to the provider as they came.
    public var extra: [String: JSONValue]

    public init(temperature: Double? = nil, topP: Double? = nil, topK: Int? = nil, maxTokens: Int? = nil,
                stop: [String]? = nil, presencePenalty: Double? = nil, frequencyPenalty: Double? = nil,
                responseFormat: JSONValue? = nil, tools: [Tool]? = nil, toolChoice: ToolChoice? = nil,
                parallelToolCalls: Bool? = nil, seed: Int? = nil, user: String? = nil, extra: [String: JSONValue] = [:]) {
        self.temperature = temperature
        self.topP = topP
        self.topK = topK
        self.maxTokens = maxTokens
        self.stop = stop
        self.presencePenalty = presencePenalty
        self.frequencyPenalty = frequencyPenalty
        self.responseFormat = responseFormat
        self.tools = tools
        self.toolChoice = toolChoice
        self.parallelToolCalls = parallelToolCalls
        self.seed = seed
        self.user = user
        self.extra = extra
    }

    enum CodingKeys: String, CodingKey {
        case temperature, stop, tools, seed, user, extra
        case topP = "top_p", topK = "top_k", maxTokens = "max_tokens", maxCompletionTokens = "max_completion_tokens"
        case presencePenalty = "presence_penalty"
        case frequencyPenalty = "frequency_penalty", responseFormat = "response_format", toolChoice = "tool_choice"
        case parallelToolCalls = "parallel_tool_calls"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        temperature = try container.decodeIfPresent(Double.self, forKey: .temperature)
        topP = try container.decodeIfPresent(Double.self, forKey: .topP)
        topK = try container.decodeIfPresent(Int.self, forKey: .topK)
        let maxTokens = try container.decodeIfPresent(Int.self, forKey: .maxTokens)
        let maxCompletionTokens = try container.decodeIfPresent(Int.self, forKey: .maxCompletionTokens)
        self.maxTokens = maxCompletionTokens ?? maxTokens
        if maxCompletionTokens != nil { maxTokensField = .maxCompletionTokens }
        stop = try container.decodeIfPresent([String].self, forKey: .stop)
        presencePenalty = try container.decodeIfPresent(Double.self, forKey: .presencePenalty)
        frequencyPenalty = try container.decodeIfPresent(Double.self, forKey: .frequencyPenalty)
        responseFormat = try container.decodeIfPresent(JSONValue.self, forKey: .responseFormat)
        tools = try container.decodeIfPresent([Tool].self, forKey: .tools)
        toolChoice = try container.decodeIfPresent(ToolChoice.self, forKey: .toolChoice)
        parallelToolCalls = try container.decodeIfPresent(Bool.self, forKey: .parallelToolCalls)
        seed = try container.decodeIfPresent(Int.self, forKey: .seed)
        user = try container.decodeIfPresent(String.self, forKey: .user)
        extra = try container.decodeIfPresent([String: JSONValue].self, forKey: .extra) ?? [:]
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(temperature, forKey: .temperature)
        try container.encodeIfPresent(topP, forKey: .topP)
        try container.encodeIfPresent(topK, forKey: .topK)
        try container.encodeIfPresent(maxTokens, forKey: maxTokensField == .maxCompletionTokens ? .maxCompletionTokens : .maxTokens)
        try container.encodeIfPresent(stop, forKey: .stop)
        try container.encodeIfPresent(presencePenalty, forKey: .presencePenalty)
        try container.encodeIfPresent(frequencyPenalty, forKey: .frequencyPenalty)
        try container.encodeIfPresent(responseFormat, forKey: .responseFormat)
        try container.encodeIfPresent(tools, forKey: .tools)
        try container.encodeIfPresent(toolChoice, forKey: .toolChoice)
        try container.encodeIfPresent(parallelToolCalls, forKey: .parallelToolCalls)
        try container.encodeIfPresent(seed, forKey: .seed)
        try container.encodeIfPresent(user, forKey: .user)
        try container.encode(extra, forKey: .extra)
    }
}

/// Which of OpenAI's names carries a request's token limit. `max_completion_tokens` is the newer one
/// and the only one its reasoning models (o1, o3, gpt-5) accept; `max_tokens` the one every
/// OpenAI-compatible server and the legacy completions API know.
@frozen public enum MaxTokensField: String, Sendable, Hashable, Codable {
    case maxTokens = "max_tokens"
    case maxCompletionTokens = "max_completion_tokens"
}

/// A function the model may call.
public struct Tool: Sendable, Hashable, Codable {
    public var type: String
    public var function: FunctionDefinition

    public init(function: FunctionDefinition) {
        type = "function"
        self.function = function
    }
}

/// A callable function: name, description and JSON-schema parameters.
public struct FunctionDefinition: Sendable, Hashable, Codable {
    public var name: String
    public var description: String?
    public var parameters: JSONValue?

    public init(name: String, description: String? = nil, parameters: JSONValue? = nil) {
        self.name = name
        self.description = description
        self.parameters = parameters
    }
}

/// Whether and which tool the model must call.
@frozen public enum ToolChoice: Sendable, Hashable, Codable {
    case none
    case auto
    case required
    case function(String)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let mode = try? container.decode(String.self) {
            switch mode {
            case "none": self = .none
            case "auto": self = .auto
            case "required", "any": self = .required
            default:
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "tool_choice must be none, auto, required or a function")
            }
            return
        }
        let object = try container.decode(JSONValue.self)
        guard let name = object["function"]?["name"]?.stringValue ?? object["name"]?.stringValue else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "tool_choice object needs function.name")
        }
        self = .function(name)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .none: try container.encode("none")
        case .auto: try container.encode("auto")
        case .required: try container.encode("required")
        case .function(let name):
            try container.encode(JSONValue.object(["type": .string("function"), "function": .object(["name": .string(name)])]))
        }
    }
}
