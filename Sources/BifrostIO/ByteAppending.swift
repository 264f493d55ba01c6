extension Array where Element == UInt8 {
    /// Appends the UTF-8 bytes of `text`: one copy of its storage, where `append(contentsOf: text.utf8)`
    /// goes through the generic sequence path (several times the cost for the short strings of heads
    /// and log lines).
    public mutating func appendUTF8(_ text: String) {
        let copied: Void? = text.utf8.withContiguousStorageIfAvailable { append(contentsOf: $0) }
        if copied == nil { append(contentsOf: text.utf8) }
    }

    /// Appends `value` in decimal ASCII, without building a `String` (response heads, RESP, log lines).
    public mutating func appendDecimal(_ value: Int) {
        if value < 0 { append(UInt8(ascii: "-")) }
        var remaining = value.magnitude
        if remaining < 10 {
            append(UInt8(truncatingIfNeeded: 48 &+ remaining))
            return
        }
        var digits = 0
        var probe = remaining
        repeat {
            digits &+= 1
            probe /= 10
        } while probe > 0
        // Digits are written from the last one backwards into the space just added.
        let end = count &+ digits
        append(contentsOf: repeatElement(UInt8(ascii: "0"), count: digits))
        withUnsafeMutableBufferPointer { buffer in
            var position = end
            repeat {
                position &-= 1
                buffer[position] = UInt8(truncatingIfNeeded: 48 &+ remaining % 10)
                remaining /= 10
            } while remaining > 0
        }
    }
}
