/// Gemini `generateContent` bodies and stream events, Cohere v2 chat bodies and stream events, and a
/// Google OAuth token answer (Vertex AI's service-account exchange).
enum GeminiReplies {
    static func response(_ context: ReplyContext, _ templates: ReplyTemplates) -> [UInt8] {
        var out: [UInt8] = []
        out.appendLiteral(#"{"candidates":[{"content":{"role":"model","parts":["#)
        let outputTokens: Int
        if let tool = context.toolName {
            out.appendLiteral(#"{"functionCall":{"name":""#)
            out.append(contentsOf: tool)
            out.appendLiteral(#"","args":{}}}"#)
            outputTokens = ReplyTemplates.toolCallTokens
        } else {
            out.appendLiteral(#"{"text":""#)
            out.append(contentsOf: templates.text)
            out.appendLiteral(#""}"#)
            outputTokens = templates.wordCount
        }
        out.appendLiteral(#"]},"finishReason":"STOP","index":0}],"usageMetadata":"#)
        usage(context.promptTokens, outputTokens, into: &out)
        out.appendLiteral(#","modelVersion":""#)
        out.append(contentsOf: context.model)
        out.appendLiteral(#""}"#)
        return out
    }

    /// One `data:` event per word; the last carries the finish reason and usage (Gemini has no end marker).
    static func events(_ context: ReplyContext, _ templates: ReplyTemplates) -> [[UInt8]] {
        if context.toolName != nil { return [Array("data: ".utf8) + response(context, templates) + Array("\r\n\r\n".utf8)] }
        return (0..<context.deltaCount).map { index in
            var out: [UInt8] = []
            out.appendLiteral(#"data: {"candidates":[{"content":{"role":"model","parts":[{"text":""#)
            out.append(contentsOf: templates.delta(index, of: context.deltaCount))
            out.appendLiteral(#""}]},"index":0"#)
            if index == context.deltaCount - 1 {
                out.appendLiteral(#","finishReason":"STOP"}],"usageMetadata":"#)
                usage(context.promptTokens, context.deltaCount, into: &out)
                out.appendLiteral("}\r\n\r\n")
            } else {
                out.appendLiteral("}]}\r\n\r\n")
            }
            return out
        }
    }

    private static func usage(_ input: Int, _ output: Int, into out: inout [UInt8]) {
        out.appendLiteral(#"{"promptTokenCount":"#)
        out.appendDecimal(input)
        out.appendLiteral(#","candidatesTokenCount":"#)
        out.appendDecimal(output)
        out.appendLiteral(#","totalTokenCount":"#)
        out.appendDecimal(input + output)
        out.appendLiteral("}")
    }

    /// `{"access_token", "expires_in", "token_type"}`, as Google's token endpoint answers.
    static let token: [UInt8] = Array(#"{"access_token":"ya29.mock-token","expires_in":3599,"token_type":"Bearer"}"#.utf8)
}

enum CohereReplies {
    static func response(_ context: ReplyContext, _ templates: ReplyTemplates) -> [UInt8] {
        var out: [UInt8] = []
        out.appendLiteral(#"{"id":"cohere-mock-"#)
        out.appendDecimal(context.sequence)
        let outputTokens: Int
        if let tool = context.toolName {
            out.appendLiteral(#"","finish_reason":"TOOL_CALL","message":{"role":"assistant","tool_calls":[{"id":"call_mock","type":"function","function":{"name":""#)
            out.append(contentsOf: tool)
            out.appendLiteral(#"","arguments":"{}"}}]}"#)
            outputTokens = ReplyTemplates.toolCallTokens
        } else {
            out.appendLiteral(#"","finish_reason":"COMPLETE","message":{"role":"assistant","content":[{"type":"text","text":""#)
            out.append(contentsOf: templates.text)
            out.appendLiteral(#""}]}"#)
            outputTokens = templates.wordCount
        }
        out.appendLiteral(#","usage":{"tokens":{"input_tokens":"#)
        out.appendDecimal(context.promptTokens)
        out.appendLiteral(#","output_tokens":"#)
        out.appendDecimal(outputTokens)
        out.appendLiteral("}}}")
        return out
    }

    /// `message-start`, a `content-delta` per word, `message-end` with the finish reason and usage.
    static func events(_ context: ReplyContext, _ templates: ReplyTemplates) -> [[UInt8]] {
        var events: [[UInt8]] = []
        var start: [UInt8] = []
        start.appendLiteral(#"event: message-start"#)
        start.appendLiteral("\ndata: ")
        start.appendLiteral(#"{"type":"message-start","id":"cohere-mock-"#)
        start.appendDecimal(context.sequence)
        start.appendLiteral(#"","delta":{"message":{"role":"assistant"}}}"#)
        start.appendLiteral("\n\n")
        events.append(start)
        for index in 0..<context.deltaCount {
            var delta: [UInt8] = []
            delta.appendLiteral("event: content-delta\ndata: ")
            delta.appendLiteral(#"{"type":"content-delta","index":0,"delta":{"message":{"content":{"text":""#)
            delta.append(contentsOf: templates.delta(index, of: context.deltaCount))
            delta.appendLiteral(#""}}}}"#)
            delta.appendLiteral("\n\n")
            events.append(delta)
        }
        var end: [UInt8] = []
        end.appendLiteral("event: message-end\ndata: ")
        end.appendLiteral(#"{"type":"message-end","delta":{"finish_reason":"COMPLETE","usage":{"tokens":{"input_tokens":"#)
        end.appendDecimal(context.promptTokens)
        end.appendLiteral(#","output_tokens":"#)
        end.appendDecimal(context.deltaCount)
        end.appendLiteral("}}}}\n\n")
        events.append(end)
        return events
    }
}
