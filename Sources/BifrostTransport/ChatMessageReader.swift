import BifrostPluginKit

/// Decodes a request's `messages` straight from the body bytes (already checked to be valid JSON by
/// the first pass): each message's members are read as values, without a dictionary per message.
/// Errors name the path, e.g. `messages[1].content`, and are checked in the same order for every
/// message whatever the order of its members.
enum ChatMessageReader {
    static func messages(_ body: [UInt8], range: Range<Int>) throws(RequestValidationError) -> [BifrostMessage] {
        let notAnArray = RequestValidationError(message: "messages must be a non-empty array", param: "messages")
        return try CompletionRequestDecoder.readingBody(body) {
            try JSONReader.read(body, range: range) { reader in
                guard reader.next == .array else { throw notAnArray }
                var messages: [BifrostMessage] = []
                messages.reserveCapacity(8)
                try reader.readArray { reader in messages.append(try message(&reader, index: messages.count)) }
                guard !messages.isEmpty else { throw notAnArray }
                return messages
            }
        }
    }

    private static func message(_ reader: inout JSONReader, index: Int) throws -> BifrostMessage {
        func path() -> String { "messages[\(index)]" }
        guard reader.next == .object else {
            try reader.skipValue()
            throw MessageConversion.invalid(path(), "must be an object")
        }
        var role: JSONValue?, content: JSONValue?, name: JSONValue?, toolCallID: JSONValue?, toolCalls: JSONValue?
        try reader.readObject { reader, key in
            if key.is("role") { role = try reader.readValue() }
            else if key.is("content") { content = try reader.readValue() }
            else if key.is("name") { name = try reader.readValue() }
            else if key.is("tool_call_id") { toolCallID = try reader.readValue() }
            else if key.is("tool_calls") { toolCalls = try reader.readValue() }
            else { try reader.skipValue() }
        }
        guard case .string(let roleText)? = role else { throw MessageConversion.invalid("\(path()).role", "is required and must be a string") }
        var message = BifrostMessage(role: roleText)
        if let content { message.content = try MessageConversion.content(content, path: path()) }
        if let name {
            guard case .string(let text) = name else { throw MessageConversion.invalid("\(path()).name", "must be a string") }
            message.name = text
        }
        if let toolCallID {
            guard case .string(let text) = toolCallID else { throw MessageConversion.invalid("\(path()).tool_call_id", "must be a string") }
            message.toolCallID = text
        }
        if let toolCalls { message.toolCalls = try MessageConversion.toolCalls(toolCalls, path: path()) }
        return message
    }
}
