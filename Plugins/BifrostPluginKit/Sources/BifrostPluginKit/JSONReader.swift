/// A pull reader over JSON bytes: the caller walks objects and arrays and reads the members it wants
/// as typed values, so that a known shape (a chat request, a chat response) is decoded without
/// building a ``JSONValue`` tree, dictionaries or strings for keys. Anything else can still be read
/// as a ``JSONValue`` with ``readValue()``.
///
/// The reader is as strict as ``JSONParser`` (which is built on it): RFC 8259 syntax, valid escapes,
/// no control characters in strings, a nesting limit. It borrows the bytes, so use it only inside
/// ``read(_:maxDepth:_:)``. Its code is inlinable so that the hot loops compile into the caller.
@frozen
public struct JSONReader {
    @usableFromInline let bytes: UnsafeBufferPointer<UInt8>
    @usableFromInline let maxDepth: Int
    @usableFromInline var depth = 0
    @usableFromInline var index = 0

    /// The offset of the next byte to read.
    @inlinable public var offset: Int { index }

    /// A member name, borrowed from the bytes (valid only inside ``read(_:maxDepth:_:)``).
    @frozen
    public struct Key {
        /// The opening quote.
        @usableFromInline let quote: UnsafePointer<UInt8>
        /// Bytes between the quotes.
        @usableFromInline let count: Int
        /// True when the name contains escapes.
        @usableFromInline let escaped: Bool

        @inlinable init(quote: UnsafePointer<UInt8>, count: Int, escaped: Bool) {
            self.quote = quote
            self.count = count
            self.escaped = escaped
        }

        /// True when the name is exactly `name` (an ASCII literal). Always inlined: decoders test
        /// each member name against a list of literals, and a call per test costs more than the test.
        @inlinable @inline(__always) public func `is`(_ name: StaticString) -> Bool {
            if escaped { return string == name.description }
            return count == name.utf8CodeUnitCount && memcmpEqual(quote + 1, name.utf8Start, count)
        }

        /// The name as a string (escapes decoded).
        @inlinable public var string: String {
            guard escaped else { return String(decoding: UnsafeBufferPointer(start: quote + 1, count: count), as: UTF8.self) }
            var reader = JSONReader(bytes: UnsafeBufferPointer(start: quote, count: count + 2), maxDepth: 1)
            return (try? reader.readString()) ?? ""
        }
    }

    @inlinable init(bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    /// Runs `body` with a reader over `bytes`, then checks that only whitespace follows what it read.
    @inlinable
    public static func read<T>(_ bytes: [UInt8], maxDepth: Int = 128,
                               _ body: (inout JSONReader) throws -> T) throws -> T {
        try bytes.withUnsafeBufferPointer { buffer in
            var reader = JSONReader(bytes: buffer, maxDepth: maxDepth)
            reader.skipWhitespace()
            let result = try body(&reader)
            reader.skipWhitespace()
            guard reader.index == buffer.count else { throw reader.fail("unexpected data after the JSON value") }
            return result
        }
    }

    /// Runs `body` with a reader over `range` of `bytes` (a value found earlier by ``skipValueRange()``).
    @inlinable
    public static func read<T>(_ bytes: [UInt8], range: Range<Int>, maxDepth: Int = 128,
                               _ body: (inout JSONReader) throws -> T) throws -> T {
        try bytes.withUnsafeBufferPointer { buffer in
            var reader = JSONReader(bytes: UnsafeBufferPointer(rebasing: buffer[range]), maxDepth: maxDepth)
            return try body(&reader)
        }
    }

    @inlinable func fail(_ reason: String) -> JSONParser.Failure { JSONParser.Failure(offset: index, reason: reason) }

    // MARK: What comes next

    /// The kind of the next value, without consuming it.
    @frozen public enum Kind { case object, array, string, number, bool, null, invalid }

    @inlinable public var next: Kind {
        guard index < bytes.count else { return .invalid }
        switch bytes[index] {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        default: return .invalid
        }
    }

    // MARK: Containers

    /// Walks an object: `body` is called once per member with its name, and must read (or skip) the value.
    @inlinable
    public mutating func readObject(_ body: (inout JSONReader, Key) throws -> Void) throws {
        try enter(UInt8(ascii: "{"))
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; depth -= 1; return }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("expected a member name") }
            let key = try readKey()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("expected ':'") }
            index += 1
            skipWhitespace()
            try body(&self, key)
            skipWhitespace()
            guard index < bytes.count else { throw fail("unexpected end of JSON") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "}") { index += 1; depth -= 1; return }
            throw fail("expected ',' or '}'")
        }
    }

    /// Walks an array: `body` is called once per element and must read (or skip) it.
    @inlinable
    public mutating func readArray(_ body: (inout JSONReader) throws -> Void) throws {
        try enter(UInt8(ascii: "["))
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; depth -= 1; return }
        while true {
            skipWhitespace()
            try body(&self)
            skipWhitespace()
            guard index < bytes.count else { throw fail("unexpected end of JSON") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "]") { index += 1; depth -= 1; return }
            throw fail("expected ',' or ']'")
        }
    }

    @inlinable mutating func enter(_ opener: UInt8) throws {
        guard index < bytes.count, bytes[index] == opener else {
            throw fail(opener == UInt8(ascii: "{") ? "expected an object" : "expected an array")
        }
        guard depth < maxDepth else { throw fail("JSON nested too deeply") }
        depth += 1
        index += 1
    }

    // MARK: Values

    /// Any value, as a ``JSONValue``.
    @inlinable
    public mutating func readValue() throws -> JSONValue {
        switch next {
        case .object:
            var members = [String: JSONValue](minimumCapacity: 4)  // one allocation for the usual small object
            try readObject { reader, key in members[key.string] = try reader.readValue() }
            return .object(members)
        case .array:
            var items: [JSONValue] = []
            try readArray { reader in items.append(try reader.readValue()) }
            return .array(items)
        case .string: return .string(try readString())
        case .bool: return .bool(try readBool())
        case .null: try readNull(); return .null
        case .number: return .number(try readNumber())
        case .invalid: throw index < bytes.count ? fail("invalid value") : fail("unexpected end of JSON")
        }
    }

    /// Reads and discards one value, checked as strictly as any other but without building it.
    @inlinable public mutating func skipValue() throws {
        switch next {
        case .object: try readObject { reader, _ in try reader.skipValue() }
        case .array: try skipArray()
        case .string:
            let start = index
            if try scanString().escaped {  // the escapes must be valid
                index = start
                _ = try readString()
            }
        case .bool: _ = try readBool()
        case .null: try readNull()
        case .number: try skipNumber()
        case .invalid: throw index < bytes.count ? fail("invalid value") : fail("unexpected end of JSON")
        }
    }

    /// Skips an array; numbers, the usual elements of long arrays (embedding vectors), without a
    /// closure call each.
    @inlinable mutating func skipArray() throws {
        try enter(UInt8(ascii: "["))
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index &+= 1; depth -= 1; return }
        while true {
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") || isDigit(bytes[index]) { try skipNumber() } else { try skipValue() }
            skipWhitespace()
            guard index < bytes.count else { throw fail("unexpected end of JSON") }
            if bytes[index] == UInt8(ascii: ",") { index &+= 1; continue }
            if bytes[index] == UInt8(ascii: "]") { index &+= 1; depth -= 1; return }
            throw fail("expected ',' or ']'")
        }
    }

    /// Checks and passes one number without converting it: the same syntax ``readNumber()`` accepts.
    /// Works on local copies of the position and the buffer, which the compiler keeps in registers.
    @inlinable mutating func skipNumber() throws {
        let bytes = self.bytes
        let count = bytes.count
        var position = index
        if position < count, bytes[position] == UInt8(ascii: "-") { position &+= 1 }
        guard position < count, isDigit(bytes[position]) else { index = position; throw fail("invalid value") }
        if bytes[position] == 0x30 {
            position &+= 1
        } else {
            repeat { position &+= 1 } while position < count && isDigit(bytes[position])
        }
        if position < count, bytes[position] == UInt8(ascii: ".") {
            position &+= 1
            guard position < count, isDigit(bytes[position]) else { index = position; throw fail("invalid number") }
            repeat { position &+= 1 } while position < count && isDigit(bytes[position])
        }
        if position < count, bytes[position] | 0x20 == UInt8(ascii: "e") {
            position &+= 1
            if position < count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") { position &+= 1 }
            guard position < count, isDigit(bytes[position]) else { index = position; throw fail("invalid number") }
            repeat { position &+= 1 } while position < count && isDigit(bytes[position])
        }
        index = position
    }

    @inlinable @inline(__always) func isDigit(_ byte: UInt8) -> Bool { byte &- 0x30 < 10 }

    /// Skips one value and returns the byte range it took, to be read again later with
    /// ``read(_:range:maxDepth:_:)``.
    @inlinable public mutating func skipValueRange() throws -> Range<Int> {
        let start = index
        try skipValue()
        return start..<index
    }

    /// `null`, consumed; false (nothing consumed) when the next value is something else.
    @inlinable public mutating func readNullIfPresent() throws -> Bool {
        guard next == .null else { return false }
        try readNull()
        return true
    }

    @inlinable public mutating func readNull() throws { try literal("null") }

    @inlinable public mutating func readBool() throws -> Bool {
        if index < bytes.count, bytes[index] == UInt8(ascii: "t") { try literal("true"); return true }
        try literal("false")
        return false
    }

    @inlinable mutating func literal(_ word: StaticString) throws {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count, memcmpEqual(bytes.baseAddress! + index, word.utf8Start, count) else {
            throw fail("invalid literal")
        }
        index += count
    }

    @inlinable mutating func readKey() throws -> Key {
        let quote = index
        let text = try scanString()
        let key = Key(quote: bytes.baseAddress! + quote, count: text.end - quote - 1, escaped: text.escaped)
        if text.escaped {  // the escapes must be valid, as in any other string
            var name = JSONReader(bytes: UnsafeBufferPointer(start: key.quote, count: key.count + 2), maxDepth: 1)
            do { _ = try name.readString() } catch let failure as JSONParser.Failure {
                throw JSONParser.Failure(offset: quote + failure.offset, reason: failure.reason)
            }
        }
        return key
    }

    /// Scans a string literal from its opening quote; returns where its content ends and whether it has escapes.
    @inlinable mutating func scanString() throws -> (end: Int, escaped: Bool) {
        index += 1
        var escaped = false
        while true {
            skipPlainBytes()
            guard index < bytes.count else { throw fail("unterminated string") }
            switch bytes[index] {
            case UInt8(ascii: "\""):
                let end = index
                index += 1
                return (end, escaped)
            case UInt8(ascii: "\\"):
                escaped = true
                index += 2
            default:
                throw fail("control character in string")
            }
        }
    }

    /// A string, escapes decoded.
    @inlinable
    public mutating func readString() throws -> String {
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("expected a string") }
        index += 1
        let start = index
        skipPlainBytes()
        guard index < bytes.count else { throw fail("unterminated string") }
        switch bytes[index] {
        case UInt8(ascii: "\""):
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
            index += 1
            return text
        case UInt8(ascii: "\\"):
            return try readEscapedString(from: start)
        default:
            throw fail("control character in string")
        }
    }

    /// Moves to the next quote, backslash or control character (or the end).
    @inlinable @inline(__always) mutating func skipPlainBytes() {
        index = JSONSpecialBytes.firstIndex(in: bytes, from: index)
    }

    @usableFromInline mutating func readEscapedString(from start: Int) throws -> String {
        var decoded = Array(UnsafeBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return String(decoding: decoded, as: UTF8.self)
            }
            if byte < 0x20 { throw fail("control character in string") }
            if byte != UInt8(ascii: "\\") {
                let run = index
                skipPlainBytes()
                decoded.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run..<index]))
                continue
            }
            index += 1
            guard index < bytes.count else { break }
            let escape = bytes[index]
            index += 1
            switch escape {
            case UInt8(ascii: "\""): decoded.append(0x22)
            case UInt8(ascii: "\\"): decoded.append(0x5C)
            case UInt8(ascii: "/"): decoded.append(0x2F)
            case UInt8(ascii: "b"): decoded.append(0x08)
            case UInt8(ascii: "f"): decoded.append(0x0C)
            case UInt8(ascii: "n"): decoded.append(0x0A)
            case UInt8(ascii: "r"): decoded.append(0x0D)
            case UInt8(ascii: "t"): decoded.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800..<0xDC00).contains(scalar) {
                    guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                        throw fail("unpaired surrogate in \\u escape")
                    }
                    index += 2
                    let low = try hex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw fail("invalid surrogate pair") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00..<0xE000).contains(scalar) {
                    throw fail("unpaired surrogate in \\u escape")
                }
                decoded.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar)!)).utf8))
            default:
                throw fail("invalid escape")
            }
        }
        throw fail("unterminated string")
    }

    @usableFromInline mutating func hex4() throws -> UInt32 {
        guard index + 4 <= bytes.count else { throw fail("short \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case 0x30...0x39: digit = UInt32(byte - 0x30)
            case 0x41...0x46: digit = UInt32(byte - 0x41 + 10)
            case 0x61...0x66: digit = UInt32(byte - 0x61 + 10)
            default: throw fail("invalid \\u escape")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    /// A number. The usual ones (up to 15 significant digits, no exponent) are computed exactly
    /// without `strtod`: one correctly rounded division (Clinger's fast path).
    @inlinable
    public mutating func readNumber() throws -> Double {
        let start = index
        var negative = false
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { negative = true; index += 1 }
        guard index < bytes.count, (0x30...0x39).contains(bytes[index]) else { throw fail("invalid value") }
        var mantissa: UInt64 = 0
        var digits = 0
        var fractionDigits = 0
        if bytes[index] == 0x30 {
            index += 1
        } else {
            while index < bytes.count, (0x30...0x39).contains(bytes[index]) {
                mantissa = mantissa &* 10 &+ UInt64(bytes[index] - 0x30)
                digits += 1
                index += 1
            }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < bytes.count, (0x30...0x39).contains(bytes[index]) else { throw fail("invalid number") }
            while index < bytes.count, (0x30...0x39).contains(bytes[index]) {
                mantissa = mantissa &* 10 &+ UInt64(bytes[index] - 0x30)
                digits += 1
                fractionDigits += 1
                index += 1
            }
        }
        var hasExponent = false
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            hasExponent = true
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, (0x30...0x39).contains(bytes[index]) else { throw fail("invalid number") }
            while index < bytes.count, (0x30...0x39).contains(bytes[index]) { index += 1 }
        }
        if !hasExponent, digits <= 15, fractionDigits <= 22 {
            let magnitude = Double(mantissa) / powerOfTen(fractionDigits)
            return negative ? -magnitude : magnitude
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        guard let value = Double(text) else { throw fail("invalid number") }
        return value
    }

    /// A number that must be a whole one below 1e15 in magnitude; nil when it is not.
    @inlinable
    public mutating func readInteger() throws -> Int? {
        if let whole = readPlainInteger() { return whole }
        let value = try readNumber()
        guard value.rounded() == value, abs(value) < 1e15 else { return nil }
        return Int(value)
    }

    /// The common case of ``readInteger()`` without going through `Double`: an optional minus and at
    /// most 15 digits, no leading zero, not followed by a fraction or an exponent. Nil, with nothing
    /// consumed, for anything else.
    @inlinable mutating func readPlainInteger() -> Int? {
        var position = index
        let negative = position < bytes.count && bytes[position] == UInt8(ascii: "-")
        if negative { position += 1 }
        let first = position
        var magnitude = 0
        while position < bytes.count, position - first < 16, (0x30...0x39).contains(bytes[position]) {
            magnitude = magnitude &* 10 &+ Int(bytes[position] &- 0x30)
            position += 1
        }
        let digits = position - first
        guard digits > 0, digits <= 15, digits == 1 || bytes[first] != 0x30 else { return nil }
        if position < bytes.count {
            let next = bytes[position]
            guard next != UInt8(ascii: "."), next != UInt8(ascii: "e"), next != UInt8(ascii: "E") else { return nil }
        }
        index = position
        return negative ? -magnitude : magnitude
    }

    /// The string, or nil (with the value skipped) when the next value is something else.
    @inlinable public mutating func stringOrSkip() throws -> String? {
        if next == .string { return try readString() }
        try skipValue()
        return nil
    }

    /// The number, or nil (with the value skipped) when the next value is something else.
    @inlinable public mutating func numberOrSkip() throws -> Double? {
        if next == .number { return try readNumber() }
        try skipValue()
        return nil
    }

    /// A whole number below 1e15 in magnitude, or nil (with the value skipped) for anything else.
    @inlinable public mutating func integerOrSkip() throws -> Int? {
        if next == .number { return try readInteger() }
        try skipValue()
        return nil
    }

    @inlinable mutating func skipWhitespace() {
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 {
            index += 1
        }
    }
}

/// 10^exponent for 0...22, all exactly representable.
@inlinable func powerOfTen(_ exponent: Int) -> Double {
    var result = 1.0
    var remaining = exponent
    var base = 10.0
    while remaining > 0 {
        if remaining & 1 == 1 { result *= base }
        base *= base
        remaining >>= 1
    }
    return result
}

@inlinable @inline(__always) func memcmpEqual(_ left: UnsafePointer<UInt8>, _ right: UnsafePointer<UInt8>, _ count: Int) -> Bool {
    for offset in 0..<count where left[offset] != right[offset] { return false }
    return true
}
