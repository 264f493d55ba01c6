extension Array where Element == UInt8 {
    /// Appends `value` in decimal ASCII, without building a `String` (response heads, RESP, log lines).
    public mutating func appendDecimal(_ value: Int) {
        if value < 0 { append(UInt8(ascii: "-")) }
        var remaining = value.magnitude
        if remaining < 10 {
            append(UInt8(truncatingIfNeeded: 48 &+ remaining))
            return
        }
        let start = count
        while remaining > 0 {
            append(UInt8(truncatingIfNeeded: 48 &+ remaining % 10))
            remaining /= 10
        }
        self[start...].reverse()
    }
}
