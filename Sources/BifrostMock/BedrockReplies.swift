import CZlib

/// Bedrock Converse bodies and ConverseStream frames (AWS event-stream binary framing, both CRC32s).
enum BedrockReplies {
    static func converse(_ context: ReplyContext, _ templates: ReplyTemplates) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(260 + templates.text.count)
        let outputTokens: Int
        if let tool = context.toolName {
            out.appendLiteral(#"{"output":{"message":{"role":"assistant","content":[{"toolUse":{"toolUseId":"tooluse_mock_"#)
            out.appendDecimal(context.sequence)
            out.appendLiteral(#"","name":""#)
            out.append(contentsOf: tool)
            out.appendLiteral(#"","input":{}}}]}},"stopReason":"tool_use""#)
            outputTokens = ReplyTemplates.toolCallTokens
        } else {
            out.appendLiteral(#"{"output":{"message":{"role":"assistant","content":[{"text":""#)
            out.append(contentsOf: templates.text)
            out.appendLiteral(#""}]}},"stopReason":"end_turn""#)
            outputTokens = templates.wordCount
        }
        out.appendLiteral(#","usage":"#)
        appendUsage(context.promptTokens, outputTokens, to: &out)
        out.appendLiteral(#","metrics":{"latencyMs":1}}"#)
        return out
    }

    /// `messageStart`, the content (text deltas, or a tool's `contentBlockStart` and input delta),
    /// `contentBlockStop`, `messageStop`, `metadata` (usage).
    static func converseFrames(_ context: ReplyContext, _ templates: ReplyTemplates) -> [[UInt8]] {
        var frames: [[UInt8]] = [frame("messageStart", #"{"role":"assistant"}"#)]
        let outputTokens: Int
        if let tool = context.toolName {
            var start: [UInt8] = []
            start.appendLiteral(#"{"contentBlockIndex":0,"start":{"toolUse":{"toolUseId":"tooluse_mock_"#)
            start.appendDecimal(context.sequence)
            start.appendLiteral(#"","name":""#)
            start.append(contentsOf: tool)
            start.appendLiteral(#""}}}"#)
            frames.append(frame("contentBlockStart", start))
            frames.append(frame("contentBlockDelta", #"{"contentBlockIndex":0,"delta":{"toolUse":{"input":"{}"}}}"#))
            outputTokens = ReplyTemplates.toolCallTokens
        } else {
            for index in 0..<context.deltaCount {
                var delta: [UInt8] = []
                delta.appendLiteral(#"{"contentBlockIndex":0,"delta":{"text":""#)
                delta.append(contentsOf: templates.delta(index, of: context.deltaCount))
                delta.appendLiteral(#""}}"#)
                frames.append(frame("contentBlockDelta", delta))
            }
            outputTokens = context.deltaCount
        }
        frames.append(frame("contentBlockStop", #"{"contentBlockIndex":0}"#))
        frames.append(frame("messageStop", context.toolName == nil ? #"{"stopReason":"end_turn"}"# : #"{"stopReason":"tool_use"}"#))
        var metadata: [UInt8] = []
        metadata.appendLiteral(#"{"usage":"#)
        appendUsage(context.promptTokens, outputTokens, to: &metadata)
        metadata.appendLiteral(#","metrics":{"latencyMs":1}}"#)
        frames.append(frame("metadata", metadata))
        return frames
    }

    private static func appendUsage(_ input: Int, _ output: Int, to out: inout [UInt8]) {
        out.appendLiteral(#"{"inputTokens":"#)
        out.appendDecimal(input)
        out.appendLiteral(#","outputTokens":"#)
        out.appendDecimal(output)
        out.appendLiteral(#","totalTokens":"#)
        out.appendDecimal(input + output)
        out.appendLiteral("}")
    }

    private static func frame(_ eventType: StaticString, _ payload: StaticString) -> [UInt8] {
        payload.withUTF8Buffer { frame(eventType, Array($0)) }
    }

    /// One event-stream message: prelude (lengths, CRC), headers `:event-type`, `:content-type`,
    /// `:message-type` (string values), the payload, the message CRC.
    static func frame(_ eventType: StaticString, _ payload: [UInt8]) -> [UInt8] {
        var headers: [UInt8] = []
        func header(_ name: StaticString, _ value: [UInt8]) {
            headers.append(UInt8(name.utf8CodeUnitCount))
            headers.appendLiteral(name)
            headers.append(7)
            headers += [UInt8(value.count >> 8), UInt8(value.count & 0xFF)]
            headers += value
        }
        eventType.withUTF8Buffer { header(":event-type", Array($0)) }
        header(":content-type", Array("application/json".utf8))
        header(":message-type", Array("event".utf8))
        var out: [UInt8] = []
        out.reserveCapacity(16 + headers.count + payload.count)
        append32(UInt32(16 + headers.count + payload.count), to: &out)
        append32(UInt32(headers.count), to: &out)
        append32(crc32(out), to: &out)
        out += headers
        out += payload
        append32(crc32(out), to: &out)
        return out
    }

    private static func append32(_ value: UInt32, to out: inout [UInt8]) {
        out += [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    private static func crc32(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { UInt32(CZlib.crc32(0, $0.baseAddress, UInt32($0.count))) }
    }
}
