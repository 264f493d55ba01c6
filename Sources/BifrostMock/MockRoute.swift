/// The endpoints the mock serves.
enum MockRoute: CaseIterable, Sendable {
    case chatCompletions
    case completions
    case embeddings
    case models
    case messages
    /// Bedrock `POST /model/{id}/converse` (the model is in the path).
    case converse
    /// Bedrock `POST /model/{id}/converse-stream`: AWS event-stream frames.
    case converseStream
    case stats
    case unknown

    init(path: Substring) {
        var path = path
        // Azure OpenAI: /openai/deployments/{deployment}/chat/completions (and completions, embeddings).
        if path.hasPrefix(Self.azurePrefix), let slash = path.dropFirst(Self.azurePrefix.count).firstIndex(of: "/") {
            path = path[slash...]
        }
        if path.hasPrefix("/model/") {
            if path.hasSuffix("/converse") { self = .converse; return }
            if path.hasSuffix("/converse-stream") { self = .converseStream; return }
        }
        switch path {
        case "/v1/chat/completions", "/chat/completions": self = .chatCompletions
        case "/v1/completions", "/completions": self = .completions
        case "/v1/embeddings", "/embeddings": self = .embeddings
        case "/v1/models", "/models": self = .models
        case "/v1/messages", "/messages": self = .messages
        case "/mock/stats": self = .stats
        default: self = .unknown
        }
    }

    private static let azurePrefix = "/openai/deployments/"

    /// The method the route answers (`HEAD` is accepted wherever `GET` is).
    var method: String {
        switch self {
        case .models, .stats: "GET"
        case .chatCompletions, .completions, .embeddings, .messages, .converse, .converseStream, .unknown: "POST"
        }
    }

    /// Whether a JSON body is expected (and scanned).
    var takesBody: Bool { method == "POST" }

    /// Whether `"stream": true` turns the answer into Server-Sent Events.
    var canStream: Bool {
        switch self {
        case .chatCompletions, .completions, .messages: true
        case .embeddings, .models, .converse, .converseStream, .stats, .unknown: false
        }
    }

    /// The provider whose error shape the route uses.
    var errorStyle: ErrorStyle {
        switch self {
        case .messages: .anthropic
        case .converse, .converseStream: .bedrock
        default: .openAI
        }
    }

    /// Bedrock routes: the model id from `/model/{id}/converse[-stream]`, percent-decoded.
    static func bedrockModel(path: Substring) -> [UInt8]? {
        guard path.hasPrefix("/model/"), let end = path.lastIndex(of: "/") else { return nil }
        let encoded = Array(path[path.index(path.startIndex, offsetBy: 7)..<end].utf8)
        var model: [UInt8] = []
        var index = 0
        while index < encoded.count {
            if encoded[index] == UInt8(ascii: "%"), index + 2 < encoded.count,
               let value = UInt8(String(decoding: encoded[index + 1...index + 2], as: UTF8.self), radix: 16) {
                model.append(value)
                index += 3
            } else {
                model.append(encoded[index])
                index += 1
            }
        }
        return model
    }

    /// The key under `routes` in `/mock/stats`.
    var statisticsKey: String {
        switch self {
        case .chatCompletions: "chat_completions"
        case .completions: "completions"
        case .embeddings: "embeddings"
        case .models: "models"
        case .messages: "messages"
        case .converse: "converse"
        case .converseStream: "converse_stream"
        case .stats: "stats"
        case .unknown: "unknown"
        }
    }
}
