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
    /// Gemini `POST /v1beta/models/{model}:generateContent` (and `:streamGenerateContent`: events).
    case generateContent
    case streamGenerateContent
    /// Cohere `POST /v2/chat`.
    case cohereChat
    /// Vertex AI's Claude: `POST /v1/projects/{p}/locations/{r}/publishers/anthropic/models/{model}:rawPredict`
    /// (and `:streamRawPredict`): Anthropic's Messages API with the model in the path.
    case rawPredict
    case streamRawPredict
    /// A Google OAuth token endpoint (`POST /token`): any assertion gets a token.
    case token
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
        if path.hasSuffix(":generateContent") { self = .generateContent; return }
        if path.hasSuffix(":streamGenerateContent") { self = .streamGenerateContent; return }
        if path.hasSuffix(":rawPredict") { self = .rawPredict; return }
        if path.hasSuffix(":streamRawPredict") { self = .streamRawPredict; return }
        // Vertex AI's OpenAI-compatible endpoint.
        if path.hasSuffix("/endpoints/openapi/chat/completions") { self = .chatCompletions; return }
        switch path {
        case "/v1/chat/completions", "/chat/completions": self = .chatCompletions
        case "/v1/completions", "/completions": self = .completions
        case "/v1/embeddings", "/embeddings": self = .embeddings
        case "/v1/models", "/models": self = .models
        case "/v1/messages", "/messages": self = .messages
        case "/v2/chat": self = .cohereChat
        case "/token": self = .token
        case "/mock/stats": self = .stats
        default: self = .unknown
        }
    }

    private static let azurePrefix = "/openai/deployments/"

    /// The method the route answers (`HEAD` is accepted wherever `GET` is).
    var method: String {
        switch self {
        case .models, .stats: "GET"
        case .chatCompletions, .completions, .embeddings, .messages, .converse, .converseStream, .generateContent,
             .streamGenerateContent, .cohereChat, .rawPredict, .streamRawPredict, .token, .unknown: "POST"
        }
    }

    /// Whether a JSON body is expected (and scanned).
    var takesBody: Bool { method == "POST" && self != .token }

    /// Whether `"stream": true` turns the answer into Server-Sent Events.
    var canStream: Bool {
        switch self {
        case .chatCompletions, .completions, .messages, .cohereChat: true
        case .embeddings, .models, .converse, .converseStream, .generateContent, .streamGenerateContent, .rawPredict,
             .streamRawPredict, .token, .stats, .unknown: false
        }
    }

    /// The provider whose error shape the route uses.
    var errorStyle: ErrorStyle {
        switch self {
        case .messages, .rawPredict, .streamRawPredict: .anthropic
        case .converse, .converseStream: .bedrock
        default: .openAI
        }
    }

    /// The model named in the path: Bedrock's `/model/{id}/converse[-stream]`, Gemini's
    /// `/models/{model}:method`, Vertex's `.../models/{model}:rawPredict`; percent-decoded.
    static func pathModel(path: Substring) -> [UInt8]? {
        let start: Substring.Index
        let end: Substring.Index
        if path.hasPrefix("/model/"), let slash = path.lastIndex(of: "/") {
            start = path.index(path.startIndex, offsetBy: 7)
            end = slash
        } else if let models = path.firstRange(of: "/models/"), let colon = path.lastIndex(of: ":"), colon > models.upperBound {
            start = models.upperBound
            end = colon
        } else {
            return nil
        }
        let encoded = Array(path[start..<end].utf8)
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
        case .generateContent, .streamGenerateContent: "generate_content"
        case .cohereChat: "cohere_chat"
        case .rawPredict, .streamRawPredict: "raw_predict"
        case .token: "token"
        case .stats: "stats"
        case .unknown: "unknown"
        }
    }
}
