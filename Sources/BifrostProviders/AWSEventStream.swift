import CZlib

/// One message of AWS's binary event-stream framing (`application/vnd.amazon.eventstream`, used by
/// Bedrock's ConverseStream): headers (`:event-type`, `:message-type`, `:exception-type`, ...) and a
/// payload (JSON for Bedrock).
struct AWSEventMessage: Sendable, Equatable {
    var headers: [String: String]
    var payload: [UInt8]

    /// `:message-type`: `event`, `exception` or `error`.
    var messageType: String { headers[":message-type"] ?? "event" }
    /// `:event-type` for events, `:exception-type` for exceptions, `:error-code` for errors.
    var type: String? { headers[":event-type"] ?? headers[":exception-type"] ?? headers[":error-code"] }
}

/// Splits a byte stream into event-stream messages, across any chunk boundaries, checking both
/// CRC32s (prelude and message). A bad frame is an error, never a crash or a silent skip.
///
/// Frame: total length (u32 BE) · headers length (u32 BE) · prelude CRC (u32) · headers · payload ·
/// message CRC (u32), where a header is name length (u8) · name · type (u8) · value.
struct AWSEventStreamDecoder {
    /// Larger frames are refused (Bedrock's are far smaller).
    static let maxMessageBytes = 16 << 20

    struct FramingError: Error, CustomStringConvertible, Equatable {
        let description: String
    }

    private var buffer: [UInt8] = []
    private var start = 0

    /// Feeds bytes; returns every message they complete.
    mutating func feed(_ bytes: [UInt8]) throws(FramingError) -> [AWSEventMessage] {
        buffer.append(contentsOf: bytes)
        var messages: [AWSEventMessage] = []
        while buffer.count - start >= 12 {
            let total = Int(Self.u32(buffer, start))
            let headersLength = Int(Self.u32(buffer, start + 4))
            guard Self.crc32(buffer[start..<start + 8]) == Self.u32(buffer, start + 8) else {
                throw FramingError(description: "event stream prelude checksum mismatch")
            }
            guard total >= 16, total <= Self.maxMessageBytes, headersLength <= total - 16 else {
                throw FramingError(description: "event stream frame has impossible lengths (total \(total), headers \(headersLength))")
            }
            guard buffer.count - start >= total else { break }
            let end = start + total
            guard Self.crc32(buffer[start..<end - 4]) == Self.u32(buffer, end - 4) else {
                throw FramingError(description: "event stream message checksum mismatch")
            }
            let headersStart = start + 12
            let headers = try Self.headers(buffer[headersStart..<headersStart + headersLength])
            messages.append(AWSEventMessage(headers: headers, payload: Array(buffer[headersStart + headersLength..<end - 4])))
            start = end
        }
        if start > 0 && start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        } else if start > 65_536 {
            buffer.removeFirst(start)
            start = 0
        }
        return messages
    }

    /// True when bytes of an unfinished frame are buffered (a stream that ends now was cut).
    var hasPartialFrame: Bool { buffer.count > start }

    private static func headers(_ bytes: ArraySlice<UInt8>) throws(FramingError) -> [String: String] {
        var headers: [String: String] = [:]
        var index = bytes.startIndex
        func need(_ count: Int) throws(FramingError) {
            guard bytes.endIndex - index >= count else { throw FramingError(description: "event stream header is truncated") }
        }
        while index < bytes.endIndex {
            try need(1)
            let nameLength = Int(bytes[index])
            try need(1 + nameLength + 1)
            let name = String(decoding: bytes[index + 1..<index + 1 + nameLength], as: UTF8.self)
            let type = bytes[index + 1 + nameLength]
            index += 2 + nameLength
            switch type {
            case 0: headers[name] = "true"
            case 1: headers[name] = "false"
            case 2: try need(1); headers[name] = String(Int8(bitPattern: bytes[index])); index += 1
            case 3: try need(2); headers[name] = String(Int16(bitPattern: UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1]))); index += 2
            case 4: try need(4); headers[name] = String(Int32(bitPattern: u32(bytes, index))); index += 4
            case 5, 8:
                try need(8)
                headers[name] = String(Int64(bitPattern: UInt64(u32(bytes, index)) << 32 | UInt64(u32(bytes, index + 4))))
                index += 8
            case 6, 7:
                try need(2)
                let length = Int(bytes[index]) << 8 | Int(bytes[index + 1])
                try need(2 + length)
                headers[name] = String(decoding: bytes[index + 2..<index + 2 + length], as: UTF8.self)
                index += 2 + length
            case 9:
                try need(16)
                headers[name] = bytes[index..<index + 16].map { String($0, radix: 16) }.joined()
                index += 16
            default:
                throw FramingError(description: "event stream header \(name) has unknown type \(type)")
            }
        }
        return headers
    }

    static func u32<C: Collection<UInt8>>(_ bytes: C, _ offset: C.Index) -> UInt32 where C.Index == Int {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }

    static func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        bytes.withUnsafeBufferPointer { UInt32(CZlib.crc32(0, $0.baseAddress, UInt32($0.count))) }
    }
}
