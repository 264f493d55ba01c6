import BifrostPluginKit

/// An incremental RESP2 reply parser: feed it bytes as they arrive (in pieces of any size, down to
/// one byte), take complete replies out in order.
///
/// It works token by token (a `+`/`-`/`:`/`$`/`*` line, or a bulk body) and keeps a stack of the
/// arrays still being filled, so a partial reply is never re-parsed from its start: only the token
/// that is cut short waits for more bytes.
public struct RESPParser: Sendable {
    /// Replies nested deeper than this are refused (a runaway or hostile peer).
    public static let maxDepth = 64
    /// Bulk strings longer than this are refused (Redis' own limit is 512 MB).
    public static let maxBulkLength = 512 * 1024 * 1024
    /// Lines (everything but bulk bodies) longer than this are refused.
    public static let maxLineLength = 64 * 1024

    private var buffer: [UInt8] = []
    private var position = 0
    /// Where the search for the current line's CR LF resumes (no rescans of a long partial line).
    private var scanned = 0
    /// The length of the bulk body being waited for, once its `$n` header was read.
    private var pendingBulk: Int?
    /// Arrays being filled: how many elements each still needs, and those it has.
    private var stack: [(remaining: Int, elements: [RESPValue])] = []

    public init() {}

    /// The outcome of ``next()``.
    public enum Outcome: Sendable, Equatable {
        case value(RESPValue)
        /// More bytes are needed.
        case incomplete
    }

    /// Appends received bytes.
    public mutating func feed<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        compactIfWorthIt()
        buffer.append(contentsOf: bytes)
    }

    /// Appends received bytes.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        compactIfWorthIt()
        buffer.append(contentsOf: bytes)
    }

    /// Bytes received and not yet consumed by a complete token.
    public var bufferedBytes: Int { buffer.count - position }

    /// True when no partial reply is pending.
    public var isIdle: Bool { bufferedBytes == 0 && stack.isEmpty && pendingBulk == nil }

    /// Parses the next complete reply, or says more bytes are needed. Throws on a protocol
    /// violation (the connection must then be dropped: the stream cannot be resynchronised).
    public mutating func next() throws(RedisError) -> Outcome {
        while true {
            guard let scalar = try nextScalar() else { return .incomplete }
            var value = scalar
            // Fold completed arrays into their parents.
            while true {
                guard !stack.isEmpty else { return .value(value) }
                stack[stack.count - 1].elements.append(value)
                stack[stack.count - 1].remaining -= 1
                guard stack[stack.count - 1].remaining == 0 else { break }
                value = .array(stack.removeLast().elements)
            }
        }
    }

    /// Reads one token; returns a value to place (a scalar, a null, an empty array), or nil when
    /// the token is incomplete. A non-empty array header is pushed on the stack and reading goes on.
    private mutating func nextScalar() throws(RedisError) -> RESPValue? {
        while true {
            if let length = pendingBulk {
                guard buffer.count - position >= length + 2 else { return nil }
                guard buffer[position + length] == 13, buffer[position + length + 1] == 10 else {
                    throw RedisError(.protocolViolation, "bulk string not terminated by CRLF")
                }
                let bytes = Array(buffer[position..<(position + length)])
                position += length + 2
                pendingBulk = nil
                return .bulk(bytes)
            }
            guard let lineEnd = try findLineEnd() else { return nil }
            let type = buffer[position]
            let body = (position + 1)..<lineEnd
            position = lineEnd + 2
            scanned = position
            switch type {
            case UInt8(ascii: "+"): return .simple(String(decoding: buffer[body], as: UTF8.self))
            case UInt8(ascii: "-"): return .error(String(decoding: buffer[body], as: UTF8.self))
            case UInt8(ascii: ":"): return .integer(try integer(body))
            case UInt8(ascii: "$"):
                let length = try integer(body)
                if length == -1 { return .bulk(nil) }
                guard length >= 0, length <= Self.maxBulkLength else {
                    throw RedisError(.protocolViolation, "invalid bulk length \(length)")
                }
                pendingBulk = length
            case UInt8(ascii: "*"):
                let count = try integer(body)
                if count == -1 { return .array(nil) }
                if count == 0 { return .array([]) }
                guard count > 0 else { throw RedisError(.protocolViolation, "invalid array length \(count)") }
                guard stack.count < Self.maxDepth else {
                    throw RedisError(.protocolViolation, "reply nested deeper than \(Self.maxDepth)")
                }
                var elements: [RESPValue] = []
                elements.reserveCapacity(min(count, 1024))
                stack.append((count, elements))
            default:
                throw RedisError(.protocolViolation, "unexpected reply type byte \(type)")
            }
        }
    }

    /// The index of the CR of the current line's CR LF, or nil when it has not arrived.
    private mutating func findLineEnd() throws(RedisError) -> Int? {
        var index = max(scanned, position)
        while index + 1 < buffer.count {
            if buffer[index] == 13 {
                guard buffer[index + 1] == 10 else { throw RedisError(.protocolViolation, "CR not followed by LF") }
                guard index > position else { throw RedisError(.protocolViolation, "empty reply line") }
                return index
            }
            index += 1
        }
        scanned = index
        if index - position > Self.maxLineLength {
            throw RedisError(.protocolViolation, "reply line longer than \(Self.maxLineLength) bytes")
        }
        return nil
    }

    private func integer(_ range: Range<Int>) throws(RedisError) -> Int {
        var value = 0
        var negative = false
        var index = range.lowerBound
        if index < range.upperBound, buffer[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        guard index < range.upperBound else { throw RedisError(.protocolViolation, "empty integer") }
        while index < range.upperBound {
            let digit = Int(buffer[index]) - 48
            guard (0...9).contains(digit) else {
                throw RedisError(.protocolViolation, "invalid integer \"\(String(decoding: buffer[range], as: UTF8.self))\"")
            }
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(digit)
            guard !overflow1, !overflow2 else { throw RedisError(.protocolViolation, "integer overflow") }
            value = sum
            index += 1
        }
        return negative ? -value : value
    }

    /// Drops consumed bytes once they dominate the buffer (amortised O(1) per byte).
    private mutating func compactIfWorthIt() {
        guard position > 0 else { return }
        if position == buffer.count {
            buffer.removeAll(keepingCapacity: true)
        } else if position >= 4096 && position * 2 >= buffer.count {
            buffer.removeFirst(position)
        } else {
            return
        }
        scanned -= position
        position = 0
    }
}
