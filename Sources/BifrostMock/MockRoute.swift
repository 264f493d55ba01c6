/// The endpoints the mock serves.
enum MockRoute: CaseIterable, Sendable {
    case chatCompletions
    case completions
    case embeddings
    case models
    case messages
    case stats
    case unknown

    init(path: Substring) {
        var path = path
        // Azure OpenAI: /openai/deployments/{deployment}/chat/completions (and completions, embeddings).
        if path.hasPrefix(Self.azurePrefix), let slash = path.dropFirst(Self.azurePrefix.count).firstIndex(of: "/") {
            path = path[slash...]
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
        case .chatCompletions, .completions, .embeddings, .messages, .unknown: "POST"
        }
    }

    /// Whether a JSON body is expected (and scanned).
    var takesBody: Bool { method == "POST" }

    /// Whether `"stream": true` turns the answer into Server-Sent Events.
    var canStream: Bool {
        switch self {
        case .chatCompletions, .completions, .messages: true
        case .embeddings, .models, .stats, .unknown: false
        }
    }

    /// The provider whose error shape the route uses.
    var errorStyle: ErrorStyle { self == .messages ? .anthropic : .openAI }

    /// The key under `routes` in `/mock/stats`.
    var statisticsKey: String {
        switch self {
        case .chatCompletions: "chat_completions"
        case .completions: "completions"
        case .embeddings: "embeddings"
        case .models: "models"
        case .messages: "messages"
        case .stats: "stats"
        case .unknown: "unknown"
        }
    }
}
