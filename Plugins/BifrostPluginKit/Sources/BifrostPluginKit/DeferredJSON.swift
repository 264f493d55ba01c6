/// JSON text as it arrived: one complete value, valid UTF-8, within a buffer it shares (not copied).
public struct JSONText: Sendable, Hashable {
    /// The bytes the text is part of (usually a provider's whole response body).
    public let source: [UInt8]
    /// Where the text is in ``source``.
    public let range: Range<Int>

    /// `range` of `source`, which the caller checked to be one syntactically valid JSON value; nil
    /// when it is not valid UTF-8 (such text must be decoded, which repairs it, not copied).
    public init?(source: [UInt8], range: Range<Int>) {
        guard Self.isValidUTF8(source[range]) else { return nil }
        self.source = source
        self.range = range
    }

    /// A value inside `text` (a member's value or an element, found by the same reading): valid
    /// UTF-8 without checking again, since JSON values begin and end on ASCII bytes.
    public init(_ range: Range<Int>, within text: JSONText) {
        precondition(range.lowerBound >= text.range.lowerBound && range.upperBound <= text.range.upperBound,
                     "\(range) is not within \(text.range)")
        source = text.source
        self.range = range
    }

    /// The text's bytes.
    public var bytes: ArraySlice<UInt8> { source[range] }

    /// Equal when their bytes are.
    public static func == (lhs: JSONText, rhs: JSONText) -> Bool { lhs.bytes == rhs.bytes }

    public func hash(into hasher: inout Hasher) { hasher.combine(bytes.count) }

    /// ASCII eight bytes at a time; other text through the standard library's validation.
    private static func isValidUTF8(_ bytes: ArraySlice<UInt8>) -> Bool {
        let allASCII = bytes.withUnsafeBytes { raw -> Bool in
            var offset = 0
            var combined: UInt64 = 0
            while offset + 8 <= raw.count {
                combined |= raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                offset += 8
            }
            while offset < raw.count {
                combined |= UInt64(raw[offset])
                offset += 1
            }
            return combined & 0x8080_8080_8080_8080 == 0
        }
        return allASCII || String(validating: bytes, as: UTF8.self) != nil
    }
}

/// A JSON value kept as its text, decoded only when someone asks for it.
///
/// Most responses pass through the gateway unchanged: keeping the `choices` of a completion as the
/// provider's text lets the gateway copy them to its client instead of decoding and re-encoding
/// them, while a plugin that reads them still gets them decoded (see ``BifrostResponse/choices``).
public struct DeferredJSON<Value: Sendable>: Sendable, Hashable {
    /// The value's text.
    public let text: JSONText
    private let decode: @Sendable (JSONText) -> Value

    /// Keeps `text` for `decode`, which must accept whatever valid JSON it holds and always give
    /// the same answer.
    public init(_ text: JSONText, decode: @escaping @Sendable (JSONText) -> Value) {
        self.text = text
        self.decode = decode
    }

    /// The value, decoded from the text (again on every call: keep the result if you need it twice).
    public var value: Value { decode(text) }

    /// Equal when their texts are.
    public static func == (lhs: DeferredJSON, rhs: DeferredJSON) -> Bool { lhs.text == rhs.text }

    public func hash(into hasher: inout Hasher) { hasher.combine(text) }
}
