import BifrostPluginKit

/// The OpenAI request parameters the gateway reads into ``ModelParameters``; any other member of a
/// request passes through untouched as a provider-specific parameter.
enum KnownParameter: CaseIterable {
    case temperature, topP, topK, maxTokens, maxCompletionTokens, stop, stopSequences, presencePenalty,
         frequencyPenalty, responseFormat, tools, toolChoice, parallelToolCalls, seed, user

    /// The name in a request body.
    var name: StaticString {
        switch self {
        case .temperature: "temperature"
        case .topP: "top_p"
        case .topK: "top_k"
        case .maxTokens: "max_tokens"
        case .maxCompletionTokens: "max_completion_tokens"
        case .stop: "stop"
        case .stopSequences: "stop_sequences"
        case .presencePenalty: "presence_penalty"
        case .frequencyPenalty: "frequency_penalty"
        case .responseFormat: "response_format"
        case .tools: "tools"
        case .toolChoice: "tool_choice"
        case .parallelToolCalls: "parallel_tool_calls"
        case .seed: "seed"
        case .user: "user"
        }
    }

    /// The parameter a member name read from the body stands for, compared without making a string.
    /// Spelled out (the names again, checked against ``name`` by a test): walking `allCases` built
    /// the array and called a closure per case, five times the cost of these inlined comparisons,
    /// which test the length before any byte.
    init?(_ key: JSONReader.Key) {
        if key.is("temperature") { self = .temperature }
        else if key.is("max_tokens") { self = .maxTokens }
        else if key.is("top_p") { self = .topP }
        else if key.is("user") { self = .user }
        else if key.is("stop") { self = .stop }
        else if key.is("seed") { self = .seed }
        else if key.is("tools") { self = .tools }
        else if key.is("tool_choice") { self = .toolChoice }
        else if key.is("max_completion_tokens") { self = .maxCompletionTokens }
        else if key.is("presence_penalty") { self = .presencePenalty }
        else if key.is("frequency_penalty") { self = .frequencyPenalty }
        else if key.is("response_format") { self = .responseFormat }
        else if key.is("parallel_tool_calls") { self = .parallelToolCalls }
        else if key.is("top_k") { self = .topK }
        else if key.is("stop_sequences") { self = .stopSequences }
        else { return nil }
    }

    /// The parameter called `name`.
    init?(name: String) {
        guard let match = Self.allCases.first(where: { $0.name.withUTF8Buffer { $0.elementsEqual(name.utf8) } }) else { return nil }
        self = match
    }
}

/// The known parameters a request gave, in order; a name given twice counts once, with its last value.
struct KnownParameters {
    private var members: [(parameter: KnownParameter, value: JSONValue)] = []

    init() {}

    /// The known members of `dictionary` (other names are left out).
    init(_ dictionary: [String: JSONValue]) {
        for (name, value) in dictionary {
            if let parameter = KnownParameter(name: name) { add(parameter, value) }
        }
    }

    var isEmpty: Bool { members.isEmpty }

    mutating func reserveCapacity(_ count: Int) { members.reserveCapacity(count) }

    mutating func add(_ parameter: KnownParameter, _ value: JSONValue) {
        members.append((parameter, value))
    }

    /// Adds `other`'s members after these, so that its values win.
    mutating func add(contentsOf other: KnownParameters) {
        members.append(contentsOf: other.members)
    }

    /// The value given last for `parameter`.
    subscript(parameter: KnownParameter) -> JSONValue? {
        members.last { $0.parameter == parameter }?.value
    }
}
