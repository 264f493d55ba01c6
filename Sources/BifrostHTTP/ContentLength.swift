/// `Content-Length` read from the bytes of a head (RFC 9110 §8.6), one rule for requests and responses.
enum ContentLength {
    /// What the `Content-Length` fields of a head say.
    enum Reading: Equatable {
        case absent
        case value(Int)
        /// Malformed, or fields that disagree.
        case invalid
    }

    /// One field value: a non-negative decimal of at most 18 digits, or a comma-separated list
    /// repeating the same one (whitespace around items allowed); nil when it is anything else.
    static func parse(_ bytes: [UInt8], from start: Int, to end: Int) -> Int? {
        var result: Int?
        var valid = true
        ASCII.forEachListElement(bytes, from: start, to: end) { a, b in
            guard let value = decimal(bytes, a, b), result == nil || result == value else {
                valid = false
                return false
            }
            result = value
            return true
        }
        return valid ? result : nil
    }

    /// `bytes[a..<b]` as 1 to 18 decimal digits, or nil.
    @inline(__always)
    private static func decimal(_ bytes: [UInt8], _ a: Int, _ b: Int) -> Int? {
        guard a < b, b - a <= 18 else { return nil }
        var value = 0
        for i in a..<b {
            guard ASCII.isDigit(bytes[i]) else { return nil }
            value = value * 10 + Int(bytes[i] - 0x30)
        }
        return value
    }
}
