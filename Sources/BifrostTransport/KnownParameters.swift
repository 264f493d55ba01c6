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
    init?(_ key: JSONReader.Key) {
        guard let match = Self.allCases.first(where: { key.is($0.name) }) else { return nil }
        self = match
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

    /// The value given last for `parameter`.
    subscript(parameter: KnownParameter) -> JSONValue? {
        members.last { $0.parameter == parameter }?.value
    }
}
