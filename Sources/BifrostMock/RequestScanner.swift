/// The few request fields the mock acts on, found in one validating pass over the body.
///
/// String values are kept as their raw bytes between the quotes (escapes untouched): the mock echoes
/// them into responses as they came, so no unescaping or re-escaping happens.
struct RequestFields: Sendable {
    /// The `model` string, raw.
    var model: ArraySlice<UInt8>?
    /// `"stream": true`.
    var stream = false
    /// A non-empty `tools` array.
    var hasTools = false
    /// The first tool's name (`tools[0].function.name` for OpenAI, `tools[0].name` for Anthropic), raw.
    var firstToolName: ArraySlice<UInt8>?
    /// How many embedding inputs `input` holds: 1 for a string or a token array, else the array length.
    var inputCount = 0
}

/// A strict JSON validator (RFC 8259 grammar, nesting bounded) that records ``RequestFields``
/// from the top-level object. No Foundation, no allocation beyond the result.
struct RequestScanner {
    private struct Invalid: Error {}

    private let bytes: [UInt8]
    private var index = 0
    private static let maxDepth = 64

    private init(bytes: [UInt8]) { self.bytes = bytes }

    /// The fields of `body`, or nil when it is not a valid JSON document whose top level is an object.
    static func scan(_ body: [UInt8]) -> RequestFields? {
        var scanner = RequestScanner(bytes: body)
        do {
            return try scanner.document()
        } catch {
            return nil
        }
    }

    private var peek: UInt8 { index < bytes.count ? bytes[index] : 0 }

    private mutating func document() throws(Invalid) -> RequestFields {
        var fields = RequestFields()
        skipWhitespace()
        try expect(UInt8(ascii: "{"))
        skipWhitespace()
        if peek == UInt8(ascii: "}") {
            index += 1
        } else {
            while true {
                skipWhitespace()
                let key = try string()
                skipWhitespace()
                try expect(UInt8(ascii: ":"))
                skipWhitespace()
                if keyEquals(key, "model"), peek == UInt8(ascii: "\"") {
                    fields.model = bytes[try string()]
                } else if keyEquals(key, "stream") {
                    let start = index
                    try value(depth: 1)
                    fields.stream = keyEquals(start..<index, "true")
                } else if keyEquals(key, "tools"), peek == UInt8(ascii: "[") {
                    try tools(into: &fields)
                } else if keyEquals(key, "input") {
                    fields.inputCount = try input()
                } else {
                    try value(depth: 1)
                }
                skipWhitespace()
                if peek == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                try expect(UInt8(ascii: "}"))
                break
            }
        }
        skipWhitespace()
        guard index == bytes.count else { throw Invalid() }
        return fields
    }

    // MARK: Fields

    private mutating func tools(into fields: inout RequestFields) throws(Invalid) {
        index += 1 // [
        skipWhitespace()
        if peek == UInt8(ascii: "]") {
            index += 1
            return
        }
        fields.hasTools = true
        var first = true
        while true {
            skipWhitespace()
            if first, peek == UInt8(ascii: "{") {
                fields.firstToolName = try toolName(depth: 2).map { bytes[$0] }
            } else {
                try value(depth: 2)
            }
            first = false
            skipWhitespace()
            if peek == UInt8(ascii: ",") {
                index += 1
                continue
            }
            try expect(UInt8(ascii: "]"))
            return
        }
    }

    /// Scans an object; returns `function.name` if present, else `name`.
    private mutating func toolName(depth: Int) throws(Invalid) -> Range<Int>? {
        guard depth <= Self.maxDepth else { throw Invalid() }
        index += 1 // {
        var name: Range<Int>?
        var functionName: Range<Int>?
        skipWhitespace()
        if peek == UInt8(ascii: "}") {
            index += 1
            return nil
        }
        while true {
            skipWhitespace()
            let key = try string()
            skipWhitespace()
            try expect(UInt8(ascii: ":"))
            skipWhitespace()
            if keyEquals(key, "name"), peek == UInt8(ascii: "\"") {
                name = try string()
            } else if keyEquals(key, "function"), peek == UInt8(ascii: "{") {
                functionName = try toolName(depth: depth + 1)
            } else {
                try value(depth: depth + 1)
            }
            skipWhitespace()
            if peek == UInt8(ascii: ",") {
                index += 1
                continue
            }
            try expect(UInt8(ascii: "}"))
            return functionName ?? name
        }
    }

    private mutating func input() throws(Invalid) -> Int {
        switch peek {
        case UInt8(ascii: "\""):
            _ = try string()
            return 1
        case UInt8(ascii: "["):
            index += 1
            skipWhitespace()
            if peek == UInt8(ascii: "]") {
                index += 1
                return 0
            }
            let isTokenArray = peek == UInt8(ascii: "-") || ASCIIByte.isDigit(peek)
            var count = 0
            while true {
                skipWhitespace()
                try value(depth: 2)
                count += 1
                skipWhitespace()
                if peek == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                try expect(UInt8(ascii: "]"))
                return isTokenArray ? 1 : count
            }
        default:
            try value(depth: 1)
            return 0
        }
    }

    // MARK: Grammar

    private mutating func value(depth: Int) throws(Invalid) {
        guard depth <= Self.maxDepth else { throw Invalid() }
        switch peek {
        case UInt8(ascii: "{"):
            index += 1
            skipWhitespace()
            if peek == UInt8(ascii: "}") {
                index += 1
                return
            }
            while true {
                skipWhitespace()
                _ = try string()
                skipWhitespace()
                try expect(UInt8(ascii: ":"))
                skipWhitespace()
                try value(depth: depth + 1)
                skipWhitespace()
                if peek == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                try expect(UInt8(ascii: "}"))
                return
            }
        case UInt8(ascii: "["):
            index += 1
            skipWhitespace()
            if peek == UInt8(ascii: "]") {
                index += 1
                return
            }
            while true {
                skipWhitespace()
                try value(depth: depth + 1)
                skipWhitespace()
                if peek == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                try expect(UInt8(ascii: "]"))
                return
            }
        case UInt8(ascii: "\""):
            _ = try string()
        case UInt8(ascii: "t"):
            try literal("true")
        case UInt8(ascii: "f"):
            try literal("false")
        case UInt8(ascii: "n"):
            try literal("null")
        default:
            try number()
        }
    }

    /// A string literal; returns the range of its raw contents (between the quotes).
    private mutating func string() throws(Invalid) -> Range<Int> {
        try expect(UInt8(ascii: "\""))
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let contents = start..<index
                index += 1
                return contents
            }
            if byte == UInt8(ascii: "\\") {
                index += 1
                guard index < bytes.count else { throw Invalid() }
                switch bytes[index] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                     UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    index += 1
                case UInt8(ascii: "u"):
                    guard index + 4 < bytes.count else { throw Invalid() }
                    for offset in 1...4 where !ASCIIByte.isHexDigit(bytes[index + offset]) { throw Invalid() }
                    index += 5
                default:
                    throw Invalid()
                }
            } else if byte < 0x20 {
                throw Invalid()
            } else {
                index += 1
            }
        }
        throw Invalid()
    }

    private mutating func number() throws(Invalid) {
        if peek == UInt8(ascii: "-") { index += 1 }
        if peek == UInt8(ascii: "0") {
            index += 1
        } else {
            guard ASCIIByte.isDigit(peek) else { throw Invalid() }
            while ASCIIByte.isDigit(peek) { index += 1 }
        }
        if peek == UInt8(ascii: ".") {
            index += 1
            guard ASCIIByte.isDigit(peek) else { throw Invalid() }
            while ASCIIByte.isDigit(peek) { index += 1 }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            index += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { index += 1 }
            guard ASCIIByte.isDigit(peek) else { throw Invalid() }
            while ASCIIByte.isDigit(peek) { index += 1 }
        }
    }

    private mutating func literal(_ text: StaticString) throws(Invalid) {
        guard bytes.hasPrefix(text, at: index) else { throw Invalid() }
        index += text.utf8CodeUnitCount
    }

    private mutating func expect(_ byte: UInt8) throws(Invalid) {
        guard peek == byte, index < bytes.count else { throw Invalid() }
        index += 1
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private func keyEquals(_ range: Range<Int>, _ text: StaticString) -> Bool {
        range.count == text.utf8CodeUnitCount && bytes.hasPrefix(text, at: range.lowerBound)
    }
}

/// Byte classes for the scanner.
enum ASCIIByte {
    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool { byte &- 48 < 10 }

    @inline(__always)
    static func isHexDigit(_ byte: UInt8) -> Bool {
        isDigit(byte) || (byte | 0x20) &- 97 < 6
    }
}
