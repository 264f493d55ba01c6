import BifrostCore
import BifrostPluginKit

/// Reads an OpenAI `chat.completion`, `text_completion` or embeddings list straight from the bytes
/// with a ``JSONReader``: no ``JSONValue`` tree, no dictionaries. Members of the wrong type are
/// ignored as if absent; unknown members are skipped (still checked to be valid JSON).
struct OpenAIResponseDecoder {
    let request: BifrostRequest
    let provider: String
    let now: Int

    /// The response in `bytes`; a 502 when they are not JSON or not this kind of response.
    func decode(_ bytes: [UInt8]) throws(BifrostError) -> BifrostResponse {
        let kind = request.input.kind
        let decoded: BifrostResponse?
        do {
            decoded = try JSONReader.read(bytes) { reader in
                guard reader.next == .object else {
                    try reader.skipValue()  // invalid JSON is reported as such
                    return nil
                }
                return kind == .embedding ? try embeddings(&reader, in: bytes) : try completion(&reader, kind: kind, in: bytes)
            }
        } catch {
            throw BifrostError(message: "\(provider) returned a response that is not valid JSON: \(error)", type: "invalid_response",
                               statusCode: 502)
        }
        guard let decoded else {
            throw BifrostError(message: "\(provider) returned JSON that is not a \(kind.rawValue) response", type: "invalid_response",
                               statusCode: 502)
        }
        return decoded
    }

    /// A completion whose `choices` stay as text (``BifrostResponse/deferredChoices``) until someone
    /// reads them, and which keeps the whole body (``BifrostResponse/verbatimBody``) when it has every
    /// member the response needs: a response that goes out unchanged is copied, not re-encoded.
    private func completion(_ reader: inout JSONReader, kind: RequestKind, in bytes: [UInt8]) throws -> BifrostResponse {
        let start = reader.offset
        var id: String?, object: String?, created: Int?, model: String?, fingerprint: String?
        var choices: Range<Int>?
        var usage: Usage?
        var hasExtraFields = false
        try reader.readObject { reader, key in
            if key.is("id") { id = try reader.stringOrSkip() }
            else if key.is("object") { object = try reader.stringOrSkip() }
            else if key.is("created") { created = try reader.integerOrSkip() }
            else if key.is("model") { model = try reader.stringOrSkip() }
            else if key.is("choices") && reader.next == .array { choices = try reader.skipValueRange() }
            else if key.is("usage") { usage = try Self.usage(&reader) }
            else if key.is("system_fingerprint") { fingerprint = try reader.stringOrSkip() }
            else {
                if key.is("extra_fields") { hasExtraFields = true }
                try reader.skipValue()
            }
        }
        var response = BifrostResponse(id: id ?? "", object: object ?? (kind == .textCompletion ? "text_completion" : "chat.completion"),
                                       created: created ?? now, model: model ?? request.model, usage: usage,
                                       systemFingerprint: fingerprint, extraFields: ExtraFields(provider: provider, model: request.model))
        guard let choices else { return response }
        let body = id != nil && object != nil && created != nil && model != nil && !hasExtraFields
            ? JSONText(source: bytes, range: start..<reader.offset) : nil
        guard let text = Self.keptText(choices, of: bytes, body: body) else {
            response.choices = Self.choices(bytes, choices)  // not UTF-8: decoding repairs it
            return response
        }
        response.deferredChoices = DeferredJSON(text) { Self.choices($0.source, $0.range) }
        response.verbatimBody = body
        return response
    }

    /// The text of the member value at `range` of `bytes`: sliced from the kept `body` (checked as
    /// UTF-8 already), else checked on its own; nil when it is not UTF-8 and must be decoded instead.
    private static func keptText(_ range: Range<Int>, of bytes: [UInt8], body: JSONText?) -> JSONText? {
        body.map { JSONText(range, within: $0) } ?? JSONText(source: bytes, range: range)
    }

    /// The `choices` array at `range` of `bytes`, already checked to be valid JSON: members of the
    /// wrong type count as absent, so this cannot fail.
    static func choices(_ bytes: [UInt8], _ range: Range<Int>) -> [Choice] {
        var choices: [Choice] = []
        _ = try? JSONReader.read(bytes, range: range) { reader in
            try reader.readArray { reader in
                guard reader.next == .object else {
                    choices.append(Choice(index: choices.count))
                    return try reader.skipValue()
                }
                choices.append(try choice(&reader, offset: choices.count))
            }
        }
        return choices
    }

    private static func choice(_ reader: inout JSONReader, offset: Int) throws -> Choice {
        var index: Int?, message: BifrostMessage?, text: String?, finishReason: String?
        try reader.readObject { reader, key in
            if key.is("index") { index = try reader.integerOrSkip() }
            else if key.is("message") && reader.next == .object { message = try Self.message(&reader) }
            else if key.is("text") { text = try reader.stringOrSkip() }
            else if key.is("finish_reason") { finishReason = try reader.stringOrSkip() }
            else { try reader.skipValue() }
        }
        return Choice(index: index ?? offset, message: message, text: text, finishReason: finishReason)
    }

    /// An assistant message: role, text content, tool calls (those without a function name are dropped), name.
    static func message(_ reader: inout JSONReader) throws -> BifrostMessage {
        var message = BifrostMessage(role: "")
        try reader.readObject { reader, key in
            if key.is("role") { message.role = try reader.stringOrSkip() ?? "" }
            else if key.is("content") { if let text = try reader.stringOrSkip() { message.content = .text(text) } }
            else if key.is("tool_calls") && reader.next == .array {
                var calls: [ToolCall] = []
                try reader.readArray { reader in
                    guard reader.next == .object else { return try reader.skipValue() }
                    if let call = try toolCall(&reader) { calls.append(call) }
                }
                message.toolCalls = calls
            }
            else if key.is("name") { message.name = try reader.stringOrSkip() }
            else { try reader.skipValue() }
        }
        return message
    }

    private static func toolCall(_ reader: inout JSONReader) throws -> ToolCall? {
        var id: String?, name: String?, arguments: String?
        try reader.readObject { reader, key in
            if key.is("id") { id = try reader.stringOrSkip() }
            else if key.is("function") && reader.next == .object {
                try reader.readObject { reader, key in
                    if key.is("name") { name = try reader.stringOrSkip() }
                    else if key.is("arguments") { arguments = try reader.stringOrSkip() }
                    else { try reader.skipValue() }
                }
            }
            else { try reader.skipValue() }
        }
        guard let name else { return nil }
        return ToolCall(id: id ?? "", name: name, arguments: arguments ?? "")
    }

    /// `usage`: token counts (missing ones count 0) and `prompt_tokens_details.cached_tokens`; nil when not an object.
    static func usage(_ reader: inout JSONReader) throws -> Usage? {
        guard reader.next == .object else {
            try reader.skipValue()
            return nil
        }
        var prompt: Int?, completion: Int?, total: Int?, cached: Int?
        try reader.readObject { reader, key in
            if key.is("prompt_tokens") { prompt = try reader.integerOrSkip() }
            else if key.is("completion_tokens") { completion = try reader.integerOrSkip() }
            else if key.is("total_tokens") { total = try reader.integerOrSkip() }
            else if key.is("prompt_tokens_details") && reader.next == .object {
                try reader.readObject { reader, key in
                    if key.is("cached_tokens") { cached = try reader.integerOrSkip() } else { try reader.skipValue() }
                }
            }
            else { try reader.skipValue() }
        }
        return Usage(promptTokens: prompt ?? 0, completionTokens: completion ?? 0, totalTokens: total, cachedTokens: cached)
    }

    /// An embeddings list whose vectors stay as text (``BifrostResponse/deferredData``) once every
    /// item proved to have one, and which keeps the whole body (``BifrostResponse/verbatimBody``) when
    /// it has `object` and `model`: the numbers go out as the provider wrote them, not parsed and
    /// re-formatted.
    private func embeddings(_ reader: inout JSONReader, in bytes: [UInt8]) throws -> BifrostResponse? {
        let start = reader.offset
        var data: Range<Int>?
        var valid = true
        var object: String?, model: String?
        var usage: Usage?
        var hasExtraFields = false
        try reader.readObject { reader, key in
            if key.is("data") && reader.next == .array {
                let first = reader.offset
                try reader.readArray { reader in
                    if try !Self.isEmbedding(&reader) { valid = false }
                }
                data = first..<reader.offset
            }
            else if key.is("model") { model = try reader.stringOrSkip() }
            else if key.is("object") { object = try reader.stringOrSkip() }
            else if key.is("usage") { usage = try Self.usage(&reader) }
            else {
                if key.is("extra_fields") { hasExtraFields = true }
                try reader.skipValue()
            }
        }
        guard let data, valid else { return nil }
        var response = BifrostResponse(id: "", object: "list", created: now, model: model ?? request.model, usage: usage,
                                       extraFields: ExtraFields(provider: provider, model: request.model))
        let body = object != nil && model != nil && !hasExtraFields ? JSONText(source: bytes, range: start..<reader.offset) : nil
        guard let text = Self.keptText(data, of: bytes, body: body) else {
            response.data = Self.embeddings(bytes, data)  // not UTF-8: decoded, so the bad bytes (in strings) are not copied
            return response
        }
        response.deferredData = DeferredJSON(text) { Self.embeddings($0.source, $0.range) }
        response.verbatimBody = body
        return response
    }

    /// Whether the value at the reader is an embedding: an object with an `embedding` array (read whole).
    private static func isEmbedding(_ reader: inout JSONReader) throws -> Bool {
        guard reader.next == .object else {
            try reader.skipValue()
            return false
        }
        var found = false
        try reader.readObject { reader, key in
            if key.is("embedding") && reader.next == .array { found = true }
            try reader.skipValue()
        }
        return found
    }

    /// The `data` array at `range` of `bytes`, already checked by ``isEmbedding(_:)`` item by item.
    static func embeddings(_ bytes: [UInt8], _ range: Range<Int>) -> [Embedding] {
        var items: [Embedding] = []
        _ = try? JSONReader.read(bytes, range: range) { reader in
            try reader.readArray { reader in
                if let item = try embedding(&reader, offset: items.count) { items.append(item) }
            }
        }
        return items
    }

    /// One embedding; nil when it has no `embedding` array.
    private static func embedding(_ reader: inout JSONReader, offset: Int) throws -> Embedding? {
        var index: Int?
        var vector: [Double]?
        try reader.readObject { reader, key in
            if key.is("index") { index = try reader.integerOrSkip() }
            else if key.is("embedding") && reader.next == .array {
                var numbers: [Double] = []
                try reader.readArray { reader in if let number = try reader.numberOrSkip() { numbers.append(number) } }
                vector = numbers
            }
            else { try reader.skipValue() }
        }
        guard let vector else { return nil }
        return Embedding(index: index ?? offset, embedding: vector)
    }
}
