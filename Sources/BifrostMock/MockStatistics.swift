import BifrostHTTP
import Synchronization

/// What a ``MockProvider`` has seen, served as `GET /mock/stats`:
///
/// `{"requests":N,"connections":C,"open_connections":O,"routes":{"chat_completions":N,...,"other_providers":N,...}}`
/// (`other_providers`: Bedrock, Gemini, Cohere, Vertex and token requests)
///
/// - `requests`: provider requests answered or in progress (all routes but `/mock/stats` itself).
/// - `connections`: TCP connections the server accepted since it started
///   (``HTTPServer/acceptedConnections``; ones refused at the connection cap included); `null` until
///   a server is attached with ``attach(_:)``.
/// - `open_connections`: connections open right now (the `/mock/stats` one included); `null` until
///   a server is attached with ``attach(_:)``.
public final class MockStatistics: Sendable {
    private let total = Atomic<Int>(0)
    private let chatCompletions = Atomic<Int>(0)
    private let completions = Atomic<Int>(0)
    private let embeddings = Atomic<Int>(0)
    private let models = Atomic<Int>(0)
    private let messages = Atomic<Int>(0)
    private let converse = Atomic<Int>(0)
    private let unknown = Atomic<Int>(0)
    private let server = Mutex<ServerReference>(ServerReference())

    private struct ServerReference {
        weak var value: HTTPServer?
    }

    public init() {}

    /// Lets `/mock/stats` report `server`'s connection counters. The reference is weak.
    public func attach(_ server: HTTPServer) {
        self.server.withLock { $0.value = server }
    }

    /// Provider requests seen so far (`/mock/stats` excluded).
    public var requests: Int { total.load(ordering: .relaxed) }

    /// TCP connections the attached server has accepted since it started.
    public var acceptedConnections: Int? { server.withLock { $0.value }?.acceptedConnections }

    /// Connections the attached server has open now.
    public var openConnections: Int? { server.withLock { $0.value }?.openConnections }

    /// Counts a request; returns the running total, which doubles as the request's id number.
    func record(_ route: MockRoute) -> Int {
        switch route {
        case .chatCompletions: chatCompletions.add(1, ordering: .relaxed)
        case .completions: completions.add(1, ordering: .relaxed)
        case .embeddings: embeddings.add(1, ordering: .relaxed)
        case .models: models.add(1, ordering: .relaxed)
        case .messages: messages.add(1, ordering: .relaxed)
        case .converse, .converseStream, .generateContent, .streamGenerateContent, .cohereChat, .rawPredict, .streamRawPredict,
             .token:
            converse.add(1, ordering: .relaxed)
        case .unknown: unknown.add(1, ordering: .relaxed)
        case .stats: return total.load(ordering: .relaxed)
        }
        return total.add(1, ordering: .relaxed).newValue
    }

    /// The `/mock/stats` body.
    func json() -> [UInt8] {
        var out: [UInt8] = []
        out.appendLiteral(#"{"requests":"#)
        out.appendDecimal(requests)
        out.appendLiteral(#","connections":"#)
        appendOptional(acceptedConnections, to: &out)
        out.appendLiteral(#","open_connections":"#)
        appendOptional(openConnections, to: &out)
        out.appendLiteral(#","routes":{"chat_completions":"#)
        out.appendDecimal(chatCompletions.load(ordering: .relaxed))
        out.appendLiteral(#","completions":"#)
        out.appendDecimal(completions.load(ordering: .relaxed))
        out.appendLiteral(#","embeddings":"#)
        out.appendDecimal(embeddings.load(ordering: .relaxed))
        out.appendLiteral(#","models":"#)
        out.appendDecimal(models.load(ordering: .relaxed))
        out.appendLiteral(#","messages":"#)
        out.appendDecimal(messages.load(ordering: .relaxed))
        out.appendLiteral(#","other_providers":"#)
        out.appendDecimal(converse.load(ordering: .relaxed))
        out.appendLiteral(#","unknown":"#)
        out.appendDecimal(unknown.load(ordering: .relaxed))
        out.appendLiteral("}}")
        return out
    }

    private func appendOptional(_ value: Int?, to out: inout [UInt8]) {
        if let value { out.appendDecimal(value) } else { out.appendLiteral("null") }
    }
}
