import BifrostIO
import BifrostPluginKit

/// Writes JSON bytes by hand — Bifrost's responses, errors and messages, and any ``JSONValue`` —
/// for the request path, where `JSONEncoder`'s generic machinery costs more than the rest of the
/// gateway together.
///
/// Commas are placed by looking at the last byte: a member or element follows `{`/`[` directly,
/// anything else gets a comma first (values never end in `{` or `[`).
///
/// The bytes go into a ``ByteWriter`` (each piece a capacity check and a copy), so the writer
/// cannot be copied; ``bytes`` hands out the result.
public struct JSONWriter: ~Copyable {
    private var output: ByteWriter

    public init(capacity: Int = 512) {
        output = ByteWriter(capacity: capacity)
    }

    /// The bytes written so far.
    public var bytes: [UInt8] { output.bytes }

    public static func encode(_ response: BifrostResponse) -> [UInt8] {
        var writer = JSONWriter()
        writer.write(response)
        return writer.bytes
    }

    public static func encode(_ error: BifrostError) -> [UInt8] {
        var writer = JSONWriter(capacity: 256)
        writer.write(error)
        return writer.bytes
    }

    // MARK: Bifrost types

    /// The response in OpenAI's format with `extra_fields`: the provider's body copied when the
    /// response still holds it unchanged (``BifrostResponse/verbatimBody``), else field by field.
    public mutating func write(_ response: BifrostResponse) {
        if let body = response.verbatimBody, let members = Self.openObject(body) {
            separate()
            copy(members)
        } else {
            writeFields(response)
        }
        key("extra_fields")
        open()
        let extra = response.extraFields  // one copy out of the response's box, not one per field
        member("provider", extra.provider)
        member("model", extra.model)
        if let latency = extra.latency { member("latency", latency) }
        if let raw = extra.rawResponse {
            key("raw_response")
            json(raw)
        }
        close()
        close()
    }

    /// The JSON object `body` without its closing brace (and the whitespace around it), so that
    /// members can follow; nil when `body` is not an object (a kept body set by hand, say).
    private static func openObject(_ body: JSONText) -> ArraySlice<UInt8>? {
        func isWhitespace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 }
        var bytes = body.bytes
        while let first = bytes.first, isWhitespace(first) { bytes = bytes.dropFirst() }
        while let last = bytes.last, isWhitespace(last) { bytes = bytes.dropLast() }
        guard bytes.count >= 2, bytes.first == UInt8(ascii: "{"), bytes.last == UInt8(ascii: "}") else { return nil }
        bytes = bytes.dropLast()
        while let last = bytes.last, isWhitespace(last) { bytes = bytes.dropLast() }
        return bytes
    }

    /// `{` and every field but `extra_fields`.
    private mutating func writeFields(_ response: BifrostResponse) {
        open()
        member("id", response.id)
        member("object", response.object)
        member("created", response.created)
        member("model", response.model)
        key("choices")
        if let deferred = response.deferredChoices {
            copy(deferred.text.bytes)  // the provider's own text, unchanged
        } else {
            array(response.choices) { $0.write($1) }
        }
        if let usage = response.usage {
            key("usage")
            open()
            member("prompt_tokens", usage.promptTokens)
            member("completion_tokens", usage.completionTokens)
            member("total_tokens", usage.totalTokens)
            if let cached = usage.cachedTokens { member("cached_tokens", cached) }
            if let created = usage.cacheCreationTokens { member("cache_creation_tokens", created) }
            close()
        }
        if let fingerprint = response.systemFingerprint { member("system_fingerprint", fingerprint) }
        if let deferred = response.deferredData {
            key("data")
            copy(deferred.text.bytes)
        } else if let data = response.data {
            key("data")
            array(data) { writer, item in
                writer.open()
                writer.member("index", item.index)
                writer.member("object", item.object)
                writer.key("embedding")
                writer.array(item.embedding) { $0.number($1) }
                writer.close()
            }
        }
    }

    public mutating func write(_ choice: Choice) {
        open()
        member("index", choice.index)
        if let message = choice.message {
            key("message")
            write(message)
        }
        if let text = choice.text { member("text", text) }
        if let delta = choice.delta {
            key("delta")
            write(delta)
        }
        key("finish_reason")
        if let reason = choice.finishReason { string(reason) } else { raw("null") }
        close()
    }

    public mutating func write(_ message: BifrostMessage) {
        open()
        if !message.role.isEmpty { member("role", message.role) }
        switch message.content {
        case .text(let text)?:
            member("content", text)
        case .parts(let parts)?:
            key("content")
            array(parts) { writer, part in
                writer.open()
                switch part {
                case .text(let text):
                    writer.member("type", "text")
                    writer.member("text", text)
                case .image(let url, let detail):
                    writer.member("type", "image_url")
                    writer.key("image_url")
                    writer.open()
                    writer.member("url", url)
                    if let detail { writer.member("detail", detail) }
                    writer.close()
                }
                writer.close()
            }
        case nil:
            if message.toolCalls != nil {
                key("content")
                raw("null")
            }
        }
        if let name = message.name { member("name", name) }
        if let calls = message.toolCalls {
            key("tool_calls")
            array(calls) { writer, call in
                writer.open()
                // Stream deltas carry the call's position; SDKs join a call's pieces by it.
                if let index = call.index { writer.member("index", index) }
                writer.member("id", call.id)
                writer.member("type", call.type)
                writer.key("function")
                writer.open()
                writer.member("name", call.function.name)
                writer.member("arguments", call.function.arguments)
                writer.close()
                writer.close()
            }
        }
        if let id = message.toolCallID { member("tool_call_id", id) }
        close()
    }

    public mutating func write(_ error: BifrostError) {
        open()
        if let eventID = error.eventID { member("event_id", eventID) }
        if let type = error.type { member("type", type) }
        key("is_bifrost_error")
        raw(error.isBifrostError ? "true" : "false")
        member("status_code", error.statusCode ?? error.httpStatus)
        key("error")
        open()
        if let type = error.error.type { member("type", type) }
        if let code = error.error.code { member("code", code) }
        member("message", error.error.message)
        if let param = error.error.param { member("param", param) }
        close()
        close()
    }

    // MARK: Structure

    public mutating func open() { separate(); append(UInt8(ascii: "{")) }
    public mutating func close() { append(UInt8(ascii: "}")) }

    /// Writes `"name":`, after a comma when needed. Names written this way are ASCII literals that
    /// need no escaping, so they are copied as they are.
    public mutating func key(_ name: StaticString) {
        let length = name.utf8CodeUnitCount
        separate()
        output.appendUninitialized(length &+ 3) { start in
            start[0] = UInt8(ascii: "\"")
            (start + 1).update(from: name.utf8Start, count: length)
            start[length &+ 1] = UInt8(ascii: "\"")
            start[length &+ 2] = UInt8(ascii: ":")
        }
    }

    /// Writes `"name":` for a name known only at run time (escaped as needed).
    public mutating func key(named name: String) {
        separate()
        string(name, separated: false)
        append(UInt8(ascii: ":"))
    }

    public mutating func member(_ name: StaticString, _ value: String) {
        key(name)
        string(value, separated: false)
    }

    public mutating func member(_ name: StaticString, _ value: Int) {
        key(name)
        integer(value, separated: false)
    }

    public mutating func array<Element>(_ items: [Element], _ each: (inout JSONWriter, Element) -> Void) {
        separate()
        append(UInt8(ascii: "["))
        // By index: the subscript lends each element, where iterating would copy it (a retain per field).
        for index in items.indices { each(&self, items[index]) }
        append(UInt8(ascii: "]"))
    }

    /// A comma before a member or element, unless it opens its container or follows a key.
    private mutating func separate() {
        guard let last = output.last else { return }
        if last != UInt8(ascii: "{") && last != UInt8(ascii: "[") && last != UInt8(ascii: ":") { append(UInt8(ascii: ",")) }
    }

    // MARK: Values

    /// Appends JSON text as it is, with no separator: for pieces of a document copied from elsewhere.
    public mutating func copy(_ text: ArraySlice<UInt8>) {
        text.withUnsafeBufferPointer { append($0) }
    }

    public mutating func raw(_ text: StaticString) {
        separate()
        output.append(text)
    }

    public mutating func integer(_ value: Int, separated: Bool = true) {
        if separated { separate() }
        output.appendDecimal(value)
    }

    public mutating func number(_ value: Double) {
        guard value.isFinite else { return raw("null") }
        if value.rounded() == value, abs(value) < 1e15 { return integer(Int(value)) }
        separate()
        if !shortDecimal(value) { output.append("\(value)") }
    }

    /// Writes `value` with at most six decimals when that many give it back exactly, and returns
    /// false (writing nothing) otherwise. The fewest decimals that work are used, so the text is
    /// the shortest round-trip form that `description` prints (for 0.7: `0.7`), at a tenth of its
    /// cost. Bounded to where `description` does not switch to an exponent and where no two such
    /// decimals can stand for one `Double` (its spacing there is below 1e-6).
    private mutating func shortDecimal(_ value: Double) -> Bool {
        let magnitude = value.magnitude
        guard magnitude >= 1e-4, magnitude < 1e9 else { return false }
        var scale: UInt = 1
        for decimals in 1...6 {
            scale &*= 10
            let scaled = (magnitude * Double(scale)).rounded()
            // Both operands are exact (below 2^53), so the division is correctly rounded: equality
            // means the decimal reads back as `magnitude`.
            guard scaled / Double(scale) == magnitude else { continue }
            let units = UInt(scaled)
            if value < 0 { append(UInt8(ascii: "-")) }
            output.appendDecimal(Int(units / scale))
            append(UInt8(ascii: "."))
            var fraction = units % scale
            output.appendUninitialized(decimals) { start in
                for position in (0..<decimals).reversed() {  // zero-padded: 0.05 is "05" after the point
                    start[position] = UInt8(ascii: "0") &+ UInt8(fraction % 10)
                    fraction /= 10
                }
            }
            return true
        }
        return false
    }

    /// A JSON string literal with the escapes RFC 8259 requires.
    public mutating func string(_ value: String, separated: Bool = true) {
        if separated { separate() }
        append(UInt8(ascii: "\""))
        // Native strings lend their bytes as they are; others are copied to contiguous storage first.
        if value.utf8.withContiguousStorageIfAvailable({ writeEscaped($0) }) == nil {
            var copy = value
            copy.withUTF8 { writeEscaped($0) }
        }
        append(UInt8(ascii: "\""))
    }

    /// The bytes of a string literal's content, escaped as RFC 8259 requires.
    private mutating func writeEscaped(_ utf8: UnsafeBufferPointer<UInt8>) {
        // Runs of bytes that need no escaping are copied in one go.
        var runStart = 0
        var index = JSONSpecialBytes.firstIndex(in: utf8, from: 0)
        while index < utf8.count {
            append(UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
            escape(utf8[index])
            runStart = index &+ 1
            index = JSONSpecialBytes.firstIndex(in: utf8, from: runStart)
        }
        append(UnsafeBufferPointer(rebasing: utf8[runStart...]))
    }

    private mutating func escape(_ byte: UInt8) {
        append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): append(byte)
        case 0x0A: append(UInt8(ascii: "n"))
        case 0x0D: append(UInt8(ascii: "r"))
        case 0x09: append(UInt8(ascii: "t"))
        default:
            output.appendUninitialized(5) { start in
                start[0] = UInt8(ascii: "u")
                start[1] = UInt8(ascii: "0")
                start[2] = UInt8(ascii: "0")
                start[3] = Self.hexDigit(byte >> 4)
                start[4] = Self.hexDigit(byte & 0x0F)
            }
        }
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? 48 &+ nibble : 87 &+ nibble  // "0"... or "a"...
    }

    public mutating func json(_ value: JSONValue) {
        switch value {
        case .null: raw("null")
        case .bool(let flag): raw(flag ? "true" : "false")
        case .number(let number): self.number(number)
        case .string(let text): string(text)
        case .array(let items): array(items) { $0.json($1) }
        case .object(let members):
            open()
            for (name, member) in members.sorted(by: { $0.key < $1.key }) {
                key(named: name)
                json(member)
            }
            close()
        }
    }

    // MARK: Output

    @inline(__always)
    private mutating func append(_ byte: UInt8) { output.append(byte) }

    private mutating func append(_ run: UnsafeBufferPointer<UInt8>) { output.append(run) }
}
