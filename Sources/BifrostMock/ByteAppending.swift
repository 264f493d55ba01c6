/// Byte-level appends for building response bodies without `String` round trips.
extension Array where Element == UInt8 {
    /// Appends the UTF-8 bytes of a literal.
    @inline(__always)
    mutating func appendLiteral(_ text: StaticString) {
        text.withUTF8Buffer { append(contentsOf: $0) }
    }

    /// True when the bytes from `offset` on begin with `prefix`.
    func hasPrefix(_ prefix: StaticString, at offset: Int = 0) -> Bool {
        prefix.withUTF8Buffer { literal in
            guard count - offset >= literal.count else { return false }
            for position in 0..<literal.count where self[offset + position] != literal[position] { return false }
            return true
        }
    }
}

extension ArraySlice where Element == UInt8 {
    /// True when the slice begins with `prefix`.
    func hasPrefix(_ prefix: StaticString) -> Bool {
        prefix.withUTF8Buffer { literal in
            guard count >= literal.count else { return false }
            var position = startIndex
            for byte in literal {
                if self[position] != byte { return false }
                position += 1
            }
            return true
        }
    }

    /// True when `needle` occurs anywhere in the slice.
    func contains(_ needle: StaticString) -> Bool {
        needle.withUTF8Buffer { literal in
            guard literal.count > 0 else { return true }
            guard count >= literal.count else { return false }
            var start = startIndex
            while start + literal.count <= endIndex {
                var matched = true
                for offset in 0..<literal.count where self[start + offset] != literal[offset] {
                    matched = false
                    break
                }
                if matched { return true }
                start += 1
            }
            return false
        }
    }
}
