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
        if value.magnitude < 10 {  // the common case (status digits, small counts): no room to make first
            append(UInt8(truncatingIfNeeded: 48 &+ value.magnitude))
            return
        }
        let digits = DecimalDigits.count(value.magnitude)
        let end = count &+ digits
        append(contentsOf: repeatElement(UInt8(ascii: "0"), count: digits))
        withUnsafeMutableBufferPointer { DecimalDigits.write(value.magnitude, endingAt: $0.baseAddress! + end) }
    }
}

/// The decimal ASCII digits of a number, written in place: shared by `Array.appendDecimal(_:)`
/// and writers with storage of their own (the JSON writer).
public enum DecimalDigits {
    /// How many digits `magnitude` has (1 for 0).
    @inlinable
    public static func count(_ magnitude: UInt) -> Int {
        var digits = 1
        var probe = magnitude
        while probe >= 10 {
            digits &+= 1
            probe /= 10
        }
        return digits
    }

    /// Writes the digits of `magnitude` backwards, the last one just before `end`; the caller has
    /// room for ``count(_:)`` of them.
    @inlinable
    public static func write(_ magnitude: UInt, endingAt end: UnsafeMutablePointer<UInt8>) {
        var remaining = magnitude
        var position = end
        repeat {
            position -= 1
            position.pointee = UInt8(truncatingIfNeeded: 48 &+ remaining % 10)
            remaining /= 10
        } while remaining > 0
    }
}
