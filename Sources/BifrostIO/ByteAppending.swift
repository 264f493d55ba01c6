extension Array where Element == UInt8 {
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
