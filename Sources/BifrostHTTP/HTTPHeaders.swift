import BifrostIO
/// HTTP header fields in arrival order, duplicates kept, looked up case-insensitively.
///
/// Names and values live as byte ranges in one contiguous buffer: the parser builds a request's headers
/// from the raw head without allocating a string per field. Strings are made only when asked for.
public struct HTTPHeaders: Sendable, Sequence {
    struct Field: Sendable {
        var nameStart: Int32
        var nameLength: Int32
        var valueStart: Int32
        var valueLength: Int32
    }

    var bytes: [UInt8]
    var fields: [Field]
    /// True while `bytes` holds exactly the fields, in order, as `Name: value\r\n` lines (headers
    /// built with ``add(name:value:)``): ``write(into:)`` then copies them in one go.
    private var isWireLayout: Bool

    /// Empty headers.
    public init() {
        bytes = []
        fields = []
        isWireLayout = true
    }

    /// Empty headers with room for `fieldCount` fields of `byteCount` bytes in total, so that adding
    /// them allocates twice at most.
    public init(reservingFields fieldCount: Int, bytes byteCount: Int) {
        self.init()
        fields.reserveCapacity(fieldCount)
        bytes.reserveCapacity(byteCount)
    }

    /// Headers built from name/value pairs, in order.
    public init(_ pairs: [(String, String)]) {
        self.init(reservingFields: pairs.count, bytes: pairs.reduce(0) { $0 + $1.0.utf8.count + $1.1.utf8.count + 4 })
        for (name, value) in pairs { add(name: name, value: value) }
    }

    init(storage: [UInt8], fields: [Field]) {
        self.bytes = storage
        self.fields = fields
        isWireLayout = false
    }

    /// The number of fields, duplicates included.
    public var count: Int { fields.count }
    public var isEmpty: Bool { fields.isEmpty }

    /// Appends a field (after any with the same name).
    public mutating func add(name: String, value: String) {
        let nameStart = bytes.count
        bytes.appendUTF8(name)
        let nameEnd = bytes.count
        bytes.append(UInt8(ascii: ":"))
        bytes.append(UInt8(ascii: " "))
        let valueStart = bytes.count
        bytes.appendUTF8(value)
        fields.append(Field(nameStart: Int32(nameStart), nameLength: Int32(nameEnd - nameStart),
                            valueStart: Int32(valueStart), valueLength: Int32(bytes.count - valueStart)))
        bytes.append(UInt8(ascii: "\r"))
        bytes.append(UInt8(ascii: "\n"))
    }

    /// Replaces every field called `name` with one field.
    public mutating func replaceOrAdd(name: String, value: String) {
        remove(name: name)
        add(name: name, value: value)
    }

    /// Removes every field called `name` (case-insensitive).
    public mutating func remove(name: String) {
        let target = name.utf8
        let kept = fields.filter { !nameEquals($0, target) }
        if kept.count != fields.count { isWireLayout = false }
        fields = kept
    }

    /// The first value for `name`, compared case-insensitively.
    public subscript(name: String) -> String? {
        first(name)
    }

    /// The first value for `name`, compared case-insensitively.
    public func first(_ name: String) -> String? {
        let target = name.utf8
        guard let field = fields.first(where: { nameEquals($0, target) }) else { return nil }
        return value(field)
    }

    /// Every value for `name`, in order.
    public func values(_ name: String) -> [String] {
        let target = name.utf8
        return fields.filter { nameEquals($0, target) }.map(value)
    }

    /// True when a field called `name` is present.
    public func contains(_ name: String) -> Bool {
        let target = name.utf8
        return fields.contains { nameEquals($0, target) }
    }

    /// True when any comma-separated element of any `name` field equals `token`, case-insensitively
    /// (as for `Connection: keep-alive, Upgrade`).
    public func containsToken(_ token: String, in name: String) -> Bool {
        let target = token.utf8
        let header = name.utf8
        for field in fields where nameEquals(field, header) {
            var found = false
            forEachElement(of: field) { start, end in
                if !found, bytesEqualIgnoringCase(start, end, target) { found = true }
            }
            if found { return true }
        }
        return false
    }

    public func makeIterator() -> AnyIterator<(name: String, value: String)> {
        var index = 0
        return AnyIterator {
            guard index < fields.count else { return nil }
            defer { index += 1 }
            return (name(fields[index]), value(fields[index]))
        }
    }

    /// Appends `Name: value\r\n` for every field to `buffer`.
    public func write(into buffer: inout ByteWriter) {
        bytes.withUnsafeBufferPointer { bytes in
            if isWireLayout { return buffer.append(bytes) }
            for field in fields {
                buffer.append(UnsafeBufferPointer(rebasing: bytes[Int(field.nameStart)..<Int(field.nameStart + field.nameLength)]))
                buffer.append(": " as StaticString)
                buffer.append(UnsafeBufferPointer(rebasing: bytes[Int(field.valueStart)..<Int(field.valueStart + field.valueLength)]))
                buffer.append("\r\n" as StaticString)
            }
        }
    }

    /// Which of the headers the server owns (framing, connection, date) are present, in one pass.
    func serverOwnedFields() -> (framing: Bool, date: Bool) {
        var framing = false, date = false
        for field in fields {
            switch field.nameLength {
            case 4: date = date || nameEquals(field, "date".utf8)
            case 10: framing = framing || nameEquals(field, "connection".utf8)
            case 14: framing = framing || nameEquals(field, "content-length".utf8)
            case 17: framing = framing || nameEquals(field, "transfer-encoding".utf8)
            default: break
            }
        }
        return (framing, date)
    }

    /// Which headers an HTTP client sets itself are present, in one pass.
    func clientOwnedFields() -> (framing: Bool, acceptEncoding: Bool) {
        var framing = false, acceptEncoding = false
        for field in fields {
            switch field.nameLength {
            case 4: framing = framing || nameEquals(field, "host".utf8)
            case 10: framing = framing || nameEquals(field, "connection".utf8)
            case 14: framing = framing || nameEquals(field, "content-length".utf8)
            case 15: acceptEncoding = acceptEncoding || nameEquals(field, "accept-encoding".utf8)
            case 17: framing = framing || nameEquals(field, "transfer-encoding".utf8)
            default: break
            }
        }
        return (framing, acceptEncoding)
    }

    // MARK: Byte helpers

    private func name(_ field: Field) -> String {
        String(decoding: bytes[Int(field.nameStart)..<Int(field.nameStart + field.nameLength)], as: UTF8.self)
    }

    /// What the `Content-Length` fields say, read without making strings: every field must be
    /// valid and agree with the others.
    func contentLength() -> ContentLength.Reading {
        var found: Int?
        for field in fields where nameEquals(field, "content-length".utf8) {
            let start = Int(field.valueStart)
            guard let value = ContentLength.parse(bytes, from: start, to: start + Int(field.valueLength)),
                  found == nil || found == value else { return .invalid }
            found = value
        }
        return found.map { .value($0) } ?? .absent
    }

    private func value(_ field: Field) -> String {
        String(decoding: bytes[Int(field.valueStart)..<Int(field.valueStart + field.valueLength)], as: UTF8.self)
    }

    func nameEquals(_ field: Field, _ target: String.UTF8View) -> Bool {
        guard Int(field.nameLength) == target.count else { return false }
        return bytesEqualIgnoringCase(Int(field.nameStart), Int(field.nameStart + field.nameLength), target)
    }

    /// Compares without allocating, over `target`'s own bytes (walking a `UTF8View` cost about 60
    /// instructions a byte).
    private func bytesEqualIgnoringCase(_ start: Int, _ end: Int, _ target: String.UTF8View) -> Bool {
        guard end - start == target.count else { return false }
        let compared = target.withContiguousStorageIfAvailable { target in
            bytes.withUnsafeBufferPointer { ASCII.equalsIgnoringCase($0, at: start, target) }
        }
        if let compared { return compared }
        return zip(bytes[start..<end], target).allSatisfy { ASCII.lowercased($0) == ASCII.lowercased($1) }
    }

    /// Calls `body` with the trimmed byte range of each non-empty comma-separated element of a field's value.
    func forEachElement(of field: Field, _ body: (Int, Int) -> Void) {
        let start = Int(field.valueStart)
        ASCII.forEachListElement(bytes, from: start, to: start + Int(field.valueLength)) { a, b in
            if a < b { body(a, b) }
            return true
        }
    }

    /// The trimmed comma-separated elements of every `name` field, lowercased.
    func lowercasedElements(_ name: String) -> [String] {
        let header = name.utf8
        var result: [String] = []
        for field in fields where nameEquals(field, header) {
            forEachElement(of: field) { a, b in
                result.append(String(decoding: bytes[a..<b].map(ASCII.lowercased), as: UTF8.self))
            }
        }
        return result
    }
}

/// ASCII classification used by the parser and header lookups.
enum ASCII {
    @inline(__always)
    static func lowercased(_ byte: UInt8) -> UInt8 {
        byte &- 65 < 26 ? byte | 0x20 : byte
    }

    /// Whether `bytes[start..<start + other.count]` (which must exist) equals `other`, ignoring
    /// ASCII case.
    static func equalsIgnoringCase(_ bytes: UnsafeBufferPointer<UInt8>, at start: Int, _ other: UnsafeBufferPointer<UInt8>) -> Bool {
        for offset in 0..<other.count where lowercased(bytes[start &+ offset]) != lowercased(other[offset]) {
            return false
        }
        return true
    }

    @inline(__always)
    static func isWhitespace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool { byte &- 48 < 10 }

    /// Calls `body` with the whitespace-trimmed range of each comma-separated element of
    /// `bytes[start..<end]`, empty ones included (`a == b`), until it returns false.
    @inline(__always)
    static func forEachListElement(_ bytes: [UInt8], from start: Int, to end: Int, _ body: (Int, Int) -> Bool) {
        var index = start
        while index <= end {
            var stop = index
            while stop < end && bytes[stop] != UInt8(ascii: ",") { stop += 1 }
            var a = index, b = stop
            while a < b && isWhitespace(bytes[a]) { a += 1 }
            while b > a && isWhitespace(bytes[b - 1]) { b -= 1 }
            guard body(a, b) else { return }
            index = stop + 1
        }
    }

    /// RFC 9110 `tchar`: the characters of methods and header names (digits, letters and
    /// ``!#$%&'*+-.^_`|~``), as one bit per byte value below 128.
    @inline(__always)
    static func isToken(_ byte: UInt8) -> Bool {
        let low: UInt64 = 0x03FF_6CFA_0000_0000  // 0x00-0x3F: ! # $ % & ' * + - . and the digits
        let high: UInt64 = 0x57FF_FFFF_C7FF_FFFE  // 0x40-0x7F: the letters ^ _ ` | ~
        guard byte < 0x80 else { return false }
        return ((byte < 0x40 ? low : high) >> UInt64(byte & 0x3F)) & 1 != 0
    }

    /// The end of a field value from `start`: the first byte that may not appear in one (a control
    /// byte other than tab, or DEL), or `bytes.count`. Looks at eight bytes at a time.
    static func endOfFieldValue(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        guard let base = bytes.baseAddress else { return start }
        let ones: UInt64 = 0x0101_0101_0101_0101
        var index = start
        while index &+ 8 <= bytes.count {
            let word = UInt64(littleEndian: UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self))
            let deletes = word ^ (ones &* 0x7F)
            let found = ((word &- ones &* 0x20) & ~word | (deletes &- ones) & ~deletes) & (ones &* 0x80)
            if found == 0 {
                index &+= 8
                continue
            }
            index &+= found.trailingZeroBitCount &>> 3  // the lowest flagged byte is a real one
            guard bytes[index] == 0x09 else { return index }
            index &+= 1
        }
        while index < bytes.count, isFieldValueByte(bytes[index]) { index &+= 1 }
        return index
    }

    /// Field values: visible ASCII, obs-text (0x80-0xFF), space and tab. No other control bytes.
    @inline(__always)
    static func isFieldValueByte(_ byte: UInt8) -> Bool {
        byte >= 0x20 ? byte != 0x7F : byte == 0x09
    }

    /// The request target: visible ASCII and obs-text, no spaces or controls.
    @inline(__always)
    static func isTargetByte(_ byte: UInt8) -> Bool { byte > 0x20 && byte != 0x7F }

    @inline(__always)
    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }
}
