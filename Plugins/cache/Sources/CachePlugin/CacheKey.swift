import BifrostPluginKit

/// A request's cache identity: SHA-256 of its canonical serialization (provider, model, kind,
/// input and every parameter; not `stream`, not fallbacks). Equal requests give equal keys in every
/// process, so replicas sharing Redis share entries.
public struct CacheKey: Sendable, Hashable, CustomStringConvertible {
    /// The 32-byte digest.
    public let digest: [UInt8]

    /// The key of `request`; nil when the request holds a value this plugin cannot serialize
    /// (a newer plugin API's case), which is then never cached.
    public init?(_ request: BifrostRequest) {
        var writer = CanonicalWriter()
        writer.write(request)
        guard !writer.sawUnknownValue else { return nil }
        digest = SHA256.hash(writer.bytes)
    }

    /// Lowercase hex of the digest (64 characters), as used in Redis keys.
    public var description: String {
        let hex = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(64)
        for byte in digest {
            text.append(hex[Int(byte >> 4)])
            text.append(hex[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

/// An unambiguous byte encoding: every value is a type tag, then fixed-width numbers or
/// length-prefixed bytes, so no two different requests serialize alike. Object members are
/// written in sorted key order, so JSON parameters compare by content, not by arrival order.
struct CanonicalWriter {
    private(set) var bytes: [UInt8] = [1]  // format version
    /// True when the request holds a kind of value added to the plugin API after this plugin was
    /// built: it cannot be serialized faithfully, so it is not cached.
    private(set) var sawUnknownValue = false

    mutating func unknownValue() {
        sawUnknownValue = true
    }

    mutating func write(_ request: BifrostRequest) {
        string(request.provider)
        string(request.model)
        string(request.input.kind.rawValue)
        switch request.input {
        case .chat(let messages):
            count(messages.count)
            for message in messages { write(message) }
        case .text(let prompt):
            string(prompt)
        case .embedding(let inputs):
            count(inputs.count)
            for input in inputs { string(input) }
        @unknown default:
            unknownValue()
        }
        write(request.params)
    }

    private mutating func write(_ message: BifrostMessage) {
        string(message.role)
        switch message.content {
        case nil: tag("n")
        case .text(let text)?: tag("t"); string(text)
        case .parts(let parts)?:
            tag("p")
            count(parts.count)
            for part in parts {
                switch part {
                case .text(let text): tag("t"); string(text)
                case .image(let url, let detail): tag("i"); string(url); optional(detail) { $0.string($1) }
                @unknown default: unknownValue()
                }
            }
        case .some:
            unknownValue()
        }
        optional(message.name) { $0.string($1) }
        optional(message.toolCalls) { writer, calls in
            writer.count(calls.count)
            for call in calls {
                writer.string(call.id)
                writer.string(call.type)
                writer.string(call.function.name)
                writer.string(call.function.arguments)
            }
        }
        optional(message.toolCallID) { $0.string($1) }
    }

    private mutating func write(_ params: ModelParameters) {
        optional(params.temperature) { $0.number($1) }
        optional(params.topP) { $0.number($1) }
        optional(params.topK) { $0.number(Double($1)) }
        optional(params.maxTokens) { $0.number(Double($1)) }  // not maxTokensField: either name sets this limit
        optional(params.stop) { writer, stop in writer.count(stop.count); for item in stop { writer.string(item) } }
        optional(params.presencePenalty) { $0.number($1) }
        optional(params.frequencyPenalty) { $0.number($1) }
        optional(params.responseFormat) { $0.json($1) }
        optional(params.tools) { writer, tools in
            writer.count(tools.count)
            for tool in tools {
                writer.string(tool.type)
                writer.string(tool.function.name)
                writer.optional(tool.function.description) { $0.string($1) }
                writer.optional(tool.function.parameters) { $0.json($1) }
            }
        }
        optional(params.toolChoice) { writer, choice in
            switch choice {
            case .none: writer.tag("0")
            case .auto: writer.tag("a")
            case .required: writer.tag("r")
            case .function(let name): writer.tag("f"); writer.string(name)
            @unknown default: writer.unknownValue()
            }
        }
        optional(params.parallelToolCalls) { $0.tag($1 ? "T" : "F") }
        optional(params.seed) { $0.number(Double($1)) }
        optional(params.user) { $0.string($1) }
        json(.object(params.extra))
    }

    mutating func json(_ value: JSONValue) {
        switch value {
        case .null: tag("n")
        case .bool(let flag): tag(flag ? "T" : "F")
        case .number(let value): number(value)
        case .string(let text): string(text)
        case .array(let items):
            tag("[")
            count(items.count)
            for item in items { json(item) }
        case .object(let members):
            tag("{")
            count(members.count)
            for key in members.keys.sorted() {
                string(key)
                json(members[key]!)
            }
        @unknown default:
            unknownValue()
        }
    }

    private mutating func optional<T>(_ value: T?, _ body: (inout CanonicalWriter, T) -> Void) {
        if let value {
            tag("+")
            body(&self, value)
        } else {
            tag("-")
        }
    }

    private mutating func tag(_ character: Unicode.Scalar) {
        bytes.append(UInt8(ascii: character))
    }

    private mutating func count(_ value: Int) {
        word(UInt64(value))
    }

    private mutating func number(_ value: Double) {
        tag("d")
        word(value == 0 ? 0 : value.bitPattern)  // -0 and 0 are the same parameter
    }

    private mutating func string(_ text: String) {
        tag("s")
        var text = text
        text.withUTF8 { utf8 in
            word(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    private mutating func word(_ value: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }
}

