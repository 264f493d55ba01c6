/// OpenAI-compatible bodies: chat completions, legacy completions, embeddings. Built by appending
/// bytes; nothing here goes through a JSON encoder.
enum OpenAIReplies {
    // MARK: Chat completions

    static func chatCompletion(_ context: ReplyContext, _ templates: ReplyTemplates) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(360 + templates.text.count + context.model.count)
        out.appendLiteral(#"{"id":"chatcmpl-mock-"#)
        out.appendDecimal(context.sequence)
        out.appendLiteral(#"","object":"chat.completion","created":"#)
        out.appendDecimal(context.created)
        out.appendLiteral(#","model":""#)
        out.append(contentsOf: context.model)
        out.appendLiteral(#"","choices":[{"index":0,"message":{"role":"assistant","#)
        let completionTokens: Int
        if let tool = context.toolName {
            out.appendLiteral(#""content":null,"tool_calls":[{"id":"call_mock_"#)
            out.appendDecimal(context.sequence)
            out.appendLiteral(#"","type":"function","function":{"name":""#)
            out.append(contentsOf: tool)
            out.appendLiteral(#"","arguments":"{}"}}]},"logprobs":null,"finish_reason":"tool_calls"}],"#)
            completionTokens = ReplyTemplates.toolCallTokens
        } else {
            out.appendLiteral(#""content":""#)
            out.append(contentsOf: templates.text)
            out.appendLiteral(#""},"logprobs":null,"finish_reason":"stop"}],"#)
            completionTokens = templates.wordCount
        }
        out.appendOpenAIUsage(prompt: context.promptTokens, completion: completionTokens)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// `chat.completion.chunk` events: the role, the content deltas (or the tool call), the finish
    /// with usage, then `data: [DONE]`.
    static func chatCompletionEvents(_ context: ReplyContext, _ templates: ReplyTemplates) -> [[UInt8]] {
        var prefix: [UInt8] = []
        prefix.appendLiteral(#"data: {"id":"chatcmpl-mock-"#)
        prefix.appendDecimal(context.sequence)
        prefix.appendLiteral(#"","object":"chat.completion.chunk","created":"#)
        prefix.appendDecimal(context.created)
        prefix.appendLiteral(#","model":""#)
        prefix.append(contentsOf: context.model)
        prefix.appendLiteral(#"","choices":[{"index":0,"delta":"#)

        func event(_ build: (inout [UInt8]) -> Void) -> [UInt8] {
            var out = prefix
            build(&out)
            out.appendLiteral("\n\n")
            return out
        }
        func openDelta(_ out: inout [UInt8]) {
            out.appendLiteral(#","logprobs":null,"finish_reason":null}]}"#)
        }

        var events: [[UInt8]] = []
        let completionTokens: Int
        let finishReason: StaticString
        if let tool = context.toolName {
            events.append(event { out in
                out.appendLiteral(#"{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_mock_"#)
                out.appendDecimal(context.sequence)
                out.appendLiteral(#"","type":"function","function":{"name":""#)
                out.append(contentsOf: tool)
                out.appendLiteral(#"","arguments":""}}]}"#)
                openDelta(&out)
            })
            events.append(event { out in
                out.appendLiteral(#"{"tool_calls":[{"index":0,"function":{"arguments":"{}"}}]}"#)
                openDelta(&out)
            })
            completionTokens = ReplyTemplates.toolCallTokens
            finishReason = "tool_calls"
        } else {
            events.reserveCapacity(context.deltaCount + 3)
            events.append(event { out in
                out.appendLiteral(#"{"role":"assistant","content":""}"#)
                openDelta(&out)
            })
            for index in 0..<context.deltaCount {
                events.append(event { out in
                    out.appendLiteral(#"{"content":""#)
                    out.append(contentsOf: templates.delta(index, of: context.deltaCount))
                    out.appendLiteral(#""}"#)
                    openDelta(&out)
                })
            }
            completionTokens = context.deltaCount
            finishReason = "stop"
        }
        events.append(event { out in
            out.appendLiteral(#"{},"logprobs":null,"finish_reason":""#)
            out.appendLiteral(finishReason)
            out.appendLiteral(#""}],"#)
            out.appendOpenAIUsage(prompt: context.promptTokens, completion: completionTokens)
            out.append(UInt8(ascii: "}"))
        })
        events.append(doneEvent)
        return events
    }

    static let doneEvent: [UInt8] = Array("data: [DONE]\n\n".utf8)

    // MARK: Legacy completions

    static func completion(_ context: ReplyContext, _ templates: ReplyTemplates) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(300 + templates.text.count + context.model.count)
        appendCompletionHead(&out, context)
        out.appendLiteral(#","choices":[{"text":""#)
        out.append(contentsOf: templates.text)
        out.appendLiteral(#"","index":0,"logprobs":null,"finish_reason":"stop"}],"#)
        out.appendOpenAIUsage(prompt: context.promptTokens, completion: templates.wordCount)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// `text_completion` events: one per delta, a final one with `finish_reason` and usage, then `[DONE]`.
    static func completionEvents(_ context: ReplyContext, _ templates: ReplyTemplates) -> [[UInt8]] {
        var prefix: [UInt8] = Array("data: ".utf8)
        appendCompletionHead(&prefix, context)
        prefix.appendLiteral(#","choices":[{"text":""#)
        var events: [[UInt8]] = []
        events.reserveCapacity(context.deltaCount + 2)
        for index in 0..<context.deltaCount {
            var out = prefix
            out.append(contentsOf: templates.delta(index, of: context.deltaCount))
            out.appendLiteral("\",\"index\":0,\"logprobs\":null,\"finish_reason\":null}]}\n\n")
            events.append(out)
        }
        var last = prefix
        last.appendLiteral(#"","index":0,"logprobs":null,"finish_reason":"stop"}],"#)
        last.appendOpenAIUsage(prompt: context.promptTokens, completion: context.deltaCount)
        last.appendLiteral("}\n\n")
        events.append(last)
        events.append(doneEvent)
        return events
    }

    private static func appendCompletionHead(_ out: inout [UInt8], _ context: ReplyContext) {
        out.appendLiteral(#"{"id":"cmpl-mock-"#)
        out.appendDecimal(context.sequence)
        out.appendLiteral(#"","object":"text_completion","created":"#)
        out.appendDecimal(context.created)
        out.appendLiteral(#","model":""#)
        out.append(contentsOf: context.model)
        out.append(UInt8(ascii: "\""))
    }

    // MARK: Embeddings

    /// A list with one fixed vector per input.
    static func embeddings(_ context: ReplyContext, inputs: Int, _ templates: ReplyTemplates) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(120 + inputs * (60 + templates.embeddingVector.count) + context.model.count)
        out.appendLiteral(#"{"object":"list","data":["#)
        for index in 0..<inputs {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.appendLiteral(#"{"object":"embedding","index":"#)
            out.appendDecimal(index)
            out.appendLiteral(#","embedding":"#)
            out.append(contentsOf: templates.embeddingVector)
            out.append(UInt8(ascii: "}"))
        }
        out.appendLiteral(#"],"model":""#)
        out.append(contentsOf: context.model)
        out.appendLiteral(#"","usage":{"prompt_tokens":"#)
        out.appendDecimal(context.promptTokens)
        out.appendLiteral(#","total_tokens":"#)
        out.appendDecimal(context.promptTokens)
        out.appendLiteral("}}")
        return out
    }
}
