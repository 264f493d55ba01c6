/// Finds the bytes a JSON string cannot hold as they are: the quote, the backslash and the control
/// characters below 0x20. Everything else is copied or skipped in runs, found eight bytes at a time.
///
/// Chat bodies are mostly long strings (messages), so the reader and the writer spend most of their
/// time looking for the end of a run; a word at a time it costs a few instructions per eight bytes.
public enum JSONSpecialBytes {
    /// The index of the first special byte in `bytes` at or after `start`, or `bytes.count`.
    @inlinable
    public static func firstIndex(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        guard let base = bytes.baseAddress else { return start }
        let count = bytes.count
        var index = start
        while index &+ 8 <= count {
            let word = UInt64(littleEndian: UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self))
            let found = mask(word)
            // The lowest flagged byte is always a real one (borrows only reach higher bytes).
            if found != 0 { return index &+ found.trailingZeroBitCount &>> 3 }
            index &+= 8
        }
        while index < count, !isSpecial(bytes[index]) { index &+= 1 }
        return index
    }

    /// True for a quote, a backslash or a control character.
    @inlinable @inline(__always)
    public static func isSpecial(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    /// The high bit of each byte of `word` that is special (and possibly of bytes above the first one).
    @inlinable @inline(__always)
    static func mask(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let quotes = word ^ (ones &* 0x22)
        let backslashes = word ^ (ones &* 0x5C)
        let isQuote = (quotes &- ones) & ~quotes
        let isBackslash = (backslashes &- ones) & ~backslashes
        let isControl = (word &- ones &* 0x20) & ~word
        return (isQuote | isBackslash | isControl) & (ones &* 0x80)
    }
}
