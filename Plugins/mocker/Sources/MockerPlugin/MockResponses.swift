import BifrostPluginKit

/// Builds mocked answers in the shape of the request's kind.
enum MockResponses {
    static func response(for request: BifrostRequest, content: String, embedding: [Double], usage: Usage,
                         finishReason: String) -> BifrostResponse {
        let extra = ExtraFields(provider: request.provider, model: request.model, latency: 0)
        let id = "mock-\(UInt64.random(in: 0...UInt64.max))"
        switch request.input {
        case .embedding(let inputs):
            return BifrostResponse(id: id, object: "list", created: 0, model: request.model, usage: usage,
                                   data: inputs.indices.map { Embedding(index: $0, embedding: embedding) }, extraFields: extra)
        case .text:
            return BifrostResponse(id: id, object: "text_completion", created: 0, model: request.model,
                                   choices: [Choice(text: content, finishReason: finishReason)], usage: usage, extraFields: extra)
        default:
            return BifrostResponse(id: id, object: "chat.completion", created: 0, model: request.model,
                                   choices: [Choice(message: .text("assistant", content), finishReason: finishReason)],
                                   usage: usage, extraFields: extra)
        }
    }

    /// The response as a stream: one chunk per word (spaces kept), then the finish reason and usage.
    static func stream(_ response: BifrostResponse, content: String, kind: RequestKind) -> BifrostStream {
        var pieces: [String] = []
        var current = ""
        for character in content {
            current.append(character)
            if character == " " { pieces.append(current); current = "" }
        }
        if !current.isEmpty || pieces.isEmpty { pieces.append(current) }
        let isText = kind == .textCompletion
        var chunks: [BifrostResponse] = []
        for (index, piece) in pieces.enumerated() {
            var chunk = response
            chunk.object = isText ? "text_completion" : "chat.completion.chunk"
            chunk.usage = nil
            chunk.choices = [isText ? Choice(text: piece)
                                    : Choice(delta: BifrostMessage(role: index == 0 ? "assistant" : "", content: .text(piece)))]
            chunks.append(chunk)
        }
        var last = response
        last.object = isText ? "text_completion" : "chat.completion.chunk"
        let reason = response.choices.first?.finishReason ?? "stop"
        last.choices = [isText ? Choice(text: "", finishReason: reason) : Choice(delta: BifrostMessage(role: ""), finishReason: reason)]
        chunks.append(last)
        return AsyncThrowingStream { continuation in
            for chunk in chunks { continuation.yield(chunk) }
            continuation.finish()
        }
    }
}
