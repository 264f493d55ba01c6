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
        var index = start
        while index <= end {
            var stop = index
            while stop < end && bytes[stop] != UInt8(ascii: ",") { stop += 1 }
            var a = index, b = stop
            while a < b && ASCII.isWhitespace(bytes[a]) { a += 1 }
            while b > a && ASCII.isWhitespace(bytes[b - 1]) { b -= 1 }
            guard a < b, b - a <= 18 else { return nil }
            var value = 0
            for i in a..<b {
                guard ASCII.isDigit(bytes[i]) else { return nil }
                value = value * 10 + Int(bytes[i] - 0x30)
            }
            if let result, result != value { return nil }
            result = value
            index = stop + 1
        }
        return result
    }
}
