/// Anthropic Messages bodies and event streams, built by appending bytes.
enum AnthropicReplies {
    static func message(_ context: ReplyContext, _ templates: ReplyTemplates) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(300 + templates.text.count + context.model.count)
        out.appendLiteral(#"{"id":"msg_mock_"#)
        out.appendDecimal(context.sequence)
        out.appendLiteral(#"","type":"message","role":"assistant","model":""#)
        out.append(contentsOf: context.model)
        let outputTokens: Int
        if let tool = context.toolName {
            out.appendLiteral(#"","content":[{"type":"tool_use","id":"toolu_mock_"#)
            out.appendDecimal(context.sequence)
            out.appendLiteral(#"","name":""#)
            out.append(contentsOf: tool)
            out.appendLiteral(#"","input":{}}],"stop_reason":"tool_use""#)
            outputTokens = ReplyTemplates.toolCallTokens
        } else {
            out.appendLiteral(#"","content":[{"type":"text","text":""#)
            out.append(contentsOf: templates.text)
            out.appendLiteral(#""}],"stop_reason":"end_turn""#)
            outputTokens = templates.wordCount
        }
        out.appendLiteral(#","stop_sequence":null,"usage":{"input_tokens":"#)
        out.appendDecimal(context.promptTokens)
        out.appendLiteral(#","output_tokens":"#)
        out.appendDecimal(outputTokens)
        out.appendLiteral("}}")
        return out
    }

    /// `message_start`, `content_block_start`, one `content_block_delta` per delta (text or the tool's
    /// input JSON), `content_block_stop`, `message_delta` (stop reason, usage), `message_stop`.
    static func messageEvents(_ context: ReplyContext, _ templates: ReplyTemplates) -> [[UInt8]] {
        var events: [[UInt8]] = []
        events.reserveCapacity(context.deltaCount + 5)
        events.append(event("message_start") { out in
            out.appendLiteral(#"{"type":"message_start","message":{"id":"msg_mock_"#)
            out.appendDecimal(context.sequence)
            out.appendLiteral(#"","type":"message","role":"assistant","model":""#)
            out.append(contentsOf: context.model)
            out.appendLiteral(#"","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":"#)
            out.appendDecimal(context.promptTokens)
            out.appendLiteral(#","output_tokens":1}}}"#)
        })
        let outputTokens: Int
        let stopReason: StaticString
        if let tool = context.toolName {
            events.append(event("content_block_start") { out in
                out.appendLiteral(#"{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_mock_"#)
                out.appendDecimal(context.sequence)
                out.appendLiteral(#"","name":""#)
                out.append(contentsOf: tool)
                out.appendLiteral(#"","input":{}}}"#)
            })
            events.append(event("content_block_delta") { out in
                out.appendLiteral(#"{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{}"}}"#)
            })
            outputTokens = ReplyTemplates.toolCallTokens
            stopReason = "tool_use"
        } else {
            events.append(event("content_block_start") { out in
                out.appendLiteral(#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#)
            })
            for index in 0..<context.deltaCount {
                events.append(event("content_block_delta") { out in
                    out.appendLiteral(#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":""#)
                    out.append(contentsOf: templates.delta(index, of: context.deltaCount))
                    out.appendLiteral(#""}}"#)
                })
            }
            outputTokens = context.deltaCount
            stopReason = "end_turn"
        }
        events.append(event("content_block_stop") { out in
            out.appendLiteral(#"{"type":"content_block_stop","index":0}"#)
        })
        events.append(event("message_delta") { out in
            out.appendLiteral(#"{"type":"message_delta","delta":{"stop_reason":""#)
            out.appendLiteral(stopReason)
            out.appendLiteral(#"","stop_sequence":null},"usage":{"output_tokens":"#)
            out.appendDecimal(outputTokens)
            out.appendLiteral("}}")
        })
        events.append(messageStop)
        return events
    }

    private static let messageStop: [UInt8] = Array("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n".utf8)

    /// `event: <name>\ndata: <json>\n\n`.
    private static func event(_ name: StaticString, _ json: (inout [UInt8]) -> Void) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(160)
        out.appendLiteral("event: ")
        out.appendLiteral(name)
        out.appendLiteral("\ndata: ")
        json(&out)
        out.appendLiteral("\n\n")
        return out
    }
}
