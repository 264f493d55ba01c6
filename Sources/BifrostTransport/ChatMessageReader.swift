import BifrostPluginKit

/// Decodes a request's `messages` while the top level of the body is read: each message's members
/// are read as values, without a dictionary per message.
///
/// A message that is valid JSON but not a valid message does not stop the reading: the rest of the
/// body must still be checked for JSON syntax (reported first) and for the fields whose errors come
/// earlier (`model`). So the first such error is returned as a `failure` and the remaining messages
/// are only skipped. Errors name the path, e.g. `messages[1].content`, and are checked in the same
/// order for every message whatever the order of its members.
enum ChatMessageReader {
    /// Reads the `messages` value at the reader's position; throws only for JSON syntax errors.
    static func messages(_ reader: inout JSONReader) throws -> Result<[BifrostMessage], RequestValidationError> {
        guard reader.next == .array else {
            try reader.skipValue()
            return .failure(notAnArray)
        }
        var messages: [BifrostMessage] = []
        messages.reserveCapacity(8)
        var failure: RequestValidationError?
        var index = 0
        try reader.readArray { reader in
            defer { index += 1 }
            if failure != nil { return try reader.skipValue() }
            switch try message(&reader, index: index) {
            case .success(let message): messages.append(message)
            case .failure(let error): failure = error
            }
        }
        if let failure { return .failure(failure) }
        return messages.isEmpty ? .failure(notAnArray) : .success(messages)
    }

    private static var notAnArray: RequestValidationError {
        RequestValidationError(message: "messages must be a non-empty array", param: "messages")
    }

    /// One message; the value is always read whole, valid or not.
    private static func message(_ reader: inout JSONReader, index: Int) throws -> Result<BifrostMessage, RequestValidationError> {
        guard reader.next == .object else {
            try reader.skipValue()
            return .failure(MessageConversion.invalid(path(index), "must be an object"))
        }
        var members = Members()
        try reader.readObject { reader, key in
            if key.is("role") { members.role = try reader.readValue() }
            else if key.is("content") { members.content = try reader.readValue() }
            else if key.is("name") { members.name = try reader.readValue() }
            else if key.is("tool_call_id") { members.toolCallID = try reader.readValue() }
            else if key.is("tool_calls") { members.toolCalls = try reader.readValue() }
            else { try reader.skipValue() }
        }
        do throws(RequestValidationError) {
            return .success(try members.message(index: index))
        } catch {
            return .failure(error)
        }
    }

    /// The members of one message that the gateway reads, as given.
    private struct Members {
        var role: JSONValue?, content: JSONValue?, name: JSONValue?, toolCallID: JSONValue?, toolCalls: JSONValue?

        /// The message, or the first problem in a fixed order whatever the order of the members. The
        /// path is only spelled out for an error (`content` and `toolCalls` take it as an autoclosure).
        func message(index: Int) throws(RequestValidationError) -> BifrostMessage {
            func path() -> String { ChatMessageReader.path(index) }
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

    private static func path(_ index: Int) -> String { "messages[\(index)]" }
}
