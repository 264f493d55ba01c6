import BifrostPluginKit

/// A cached (complete) response replayed as the chunks of a stream, so a streaming client gets the
/// same events it would get from a provider: per choice a delta with the role, content and tool
/// calls, then one chunk with the finish reasons and usage.
enum StreamReplay {
    static func chunks(of response: BifrostResponse) -> [BifrostResponse] {
        let isText = response.object == "text_completion"
        let object = isText ? "text_completion" : "chat.completion.chunk"
        var chunks: [BifrostResponse] = []
        var body = response
        body.object = object
        body.usage = nil
        body.choices = response.choices.map { choice in
            if isText { return Choice(index: choice.index, text: choice.text ?? "") }
            var delta = choice.message ?? BifrostMessage(role: "assistant")
            delta.toolCalls = delta.toolCalls.map { calls in
                calls.enumerated().map { position, call in
                    var call = call
                    call.index = position
                    return call
                }
            }
            return Choice(index: choice.index, delta: delta)
        }
        chunks.append(body)
        var last = response
        last.object = object
        last.choices = response.choices.map { choice in
            isText ? Choice(index: choice.index, text: "", finishReason: choice.finishReason ?? "stop")
                : Choice(index: choice.index, delta: BifrostMessage(role: ""), finishReason: choice.finishReason ?? "stop")
        }
        chunks.append(last)
        return chunks
    }

    static func stream(_ response: BifrostResponse) -> BifrostStream {
        let chunks = chunks(of: response)
        return AsyncThrowingStream { continuation in
            for chunk in chunks { continuation.yield(chunk) }
            continuation.finish()
        }
    }
}
