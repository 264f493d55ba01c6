import Glibc

/// Bytes written piece by piece into storage the writer owns and grows itself: each piece is a
/// capacity check and a copy. `Array.append` costs a uniqueness check and a generic call per piece,
/// which made up most of the time of the JSON writer and of the log line builder that use this.
///
/// The writer cannot be copied; ``bytes`` copies the result out, ``withBytes(_:)`` lends it. The
/// storage is `malloc`ed and grown with `realloc` (often in place); `UnsafeMutablePointer.allocate`
/// went through `posix_memalign`, twice the cost of `malloc` for these small blocks.
public struct ByteWriter: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    /// How many bytes were written.
    public private(set) var count = 0
    private var capacity: Int

    public init(capacity: Int = 256) {
        self.capacity = Swift.max(capacity, 16)
        base = Self.reallocate(nil, to: self.capacity)
    }

    deinit { free(base) }

    /// The bytes written so far, copied into an array.
    public var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

    /// Runs `body` with the bytes written so far.
    public func withBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// The last byte written, or nil when there is none.
    public var last: UInt8? { count > 0 ? base[count &- 1] : nil }

    @inline(__always)
    public mutating func append(_ byte: UInt8) {
        reserve(1)
        base[count] = byte
        count &+= 1
    }

    public mutating func append(_ run: UnsafeBufferPointer<UInt8>) {
        guard let start = run.baseAddress, run.count > 0 else { return }
        reserve(run.count)
        (base + count).update(from: start, count: run.count)
        count &+= run.count
    }

    public mutating func append(_ text: StaticString) {
        append(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// The UTF-8 bytes of `text` (native strings lend their storage; others are copied first).
    public mutating func append(_ text: String) {
        if text.utf8.withContiguousStorageIfAvailable({ append($0) }) == nil {
            var copy = text
            copy.withUTF8 { append($0) }
        }
    }

    /// `value` in decimal ASCII.
    public mutating func appendDecimal(_ value: Int) {
        if value < 0 { append(UInt8(ascii: "-")) }
        let digits = DecimalDigits.count(value.magnitude)
        appendUninitialized(digits) { DecimalDigits.write(value.magnitude, endingAt: $0 + digits) }
    }

    /// Makes room for `length` bytes and lets `body` write them at the pointer it is given; it must
    /// initialize all of them.
    @inline(__always)
    public mutating func appendUninitialized(_ length: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Void) {
        reserve(length)
        body(base + count)
        count &+= length
    }

    @inline(__always)
    private mutating func reserve(_ extra: Int) {
        if capacity &- count < extra { grow(toHold: extra) }
    }

    private mutating func grow(toHold extra: Int) {
        capacity = Swift.max(capacity &* 2, count &+ extra)
        base = Self.reallocate(base, to: capacity)
    }

    private static func reallocate(_ block: UnsafeMutablePointer<UInt8>?, to size: Int) -> UnsafeMutablePointer<UInt8> {
        guard let memory = realloc(block, size) else { fatalError("ByteWriter: out of memory growing to \(size) bytes") }
        return memory.assumingMemoryBound(to: UInt8.self)
    }
}
