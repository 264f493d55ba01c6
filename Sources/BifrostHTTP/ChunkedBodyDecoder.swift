/// Decodes a `Transfer-Encoding: chunked` body incrementally (RFC 9112 §7.1).
///
/// Chunk extensions are skipped, trailer fields are read and discarded. Chunk sizes are bounded
/// (16 hex digits) and so are the size line and the trailer section, so a hostile body cannot make
/// the decoder buffer without limit.
public struct ChunkedBodyDecoder: Sendable {
    /// What a call to ``decode(_:into:maxBodyBytes:)`` achieved.
    public enum Progress: Sendable, Equatable {
        /// Every byte given was consumed; more are needed.
        case needMore
        /// The body ended after `consumed` bytes; the rest belongs to the next request.
        case done(consumed: Int)
    }

    private enum State: Sendable {
        case size(digits: Int)
        /// Whitespace after the size: only more whitespace, `;` or CR may follow.
        case sizeWhitespace
        case sizeLineRest
        case sizeLF
        case data
        case dataCR
        case dataLF
        case trailerLineStart
        case trailerLine(sawColon: Bool)
        case trailerLF(isEmptyLine: Bool)
        case done
    }

    private var state = State.size(digits: 0)
    private var chunkSize: UInt64 = 0
    private var lineBytes = 0
    private var trailerBytes = 0
    private let maxLineBytes: Int
    private let maxTrailerBytes: Int

    public init(maxLineBytes: Int = 4096, maxTrailerBytes: Int = 16 * 1024) {
        self.maxLineBytes = maxLineBytes
        self.maxTrailerBytes = maxTrailerBytes
    }

    /// Consumes bytes, appending chunk data to `body`.
    /// Throws ``HTTPRequestError`` for malformed framing (400) or a body over `maxBodyBytes` (413).
    public mutating func decode(_ input: UnsafeRawBufferPointer, into body: inout [UInt8], maxBodyBytes: Int) throws -> Progress {
        var index = 0
        let count = input.count
        while index < count {
            let byte = input[index]
            switch state {
            case .size(let digits):
                if let value = ASCII.hexValue(byte) {
                    guard digits < 16 else { throw Self.error("chunk size is too large") }
                    chunkSize = chunkSize << 4 | UInt64(value)
                    state = .size(digits: digits + 1)
                    lineBytes += 1
                } else if digits == 0 {
                    throw Self.error("chunk size is not a hexadecimal number")
                } else if byte == 0x0D {
                    state = .sizeLF
                } else if byte == UInt8(ascii: ";") {
                    state = .sizeLineRest
                } else if ASCII.isWhitespace(byte) {
                    state = .sizeWhitespace
                } else {
                    throw Self.error("invalid character after chunk size")
                }
                index += 1
            case .sizeWhitespace:
                if byte == 0x0D {
                    state = .sizeLF
                } else if byte == UInt8(ascii: ";") {
                    state = .sizeLineRest
                } else if !ASCII.isWhitespace(byte) {
                    throw Self.error("invalid character after chunk size")
                }
                lineBytes += 1
                guard lineBytes <= maxLineBytes else { throw Self.error("chunk size line is too long") }
                index += 1
            case .sizeLineRest:
                // Chunk extensions: any field-value bytes up to CRLF.
                if byte == 0x0D {
                    state = .sizeLF
                } else if !ASCII.isFieldValueByte(byte) {
                    throw Self.error("invalid character in chunk extension")
                }
                lineBytes += 1
                guard lineBytes <= maxLineBytes else { throw Self.error("chunk size line is too long") }
                index += 1
            case .sizeLF:
                guard byte == 0x0A else { throw Self.error("chunk size line does not end with CRLF") }
                index += 1
                lineBytes = 0
                if chunkSize == 0 {
                    state = .trailerLineStart
                } else {
                    guard chunkSize <= UInt64(maxBodyBytes - body.count) else { throw Self.bodyTooLarge(maxBodyBytes) }
                    state = .data
                }
            case .data:
                let take = min(Int(chunkSize), count - index)
                body.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[index..<index + take]))
                index += take
                chunkSize -= UInt64(take)
                if chunkSize == 0 { state = .dataCR }
            case .dataCR:
                guard byte == 0x0D else { throw Self.error("chunk data is not followed by CRLF") }
                state = .dataLF
                index += 1
            case .dataLF:
                guard byte == 0x0A else { throw Self.error("chunk data is not followed by CRLF") }
                state = .size(digits: 0)
                index += 1
            case .trailerLineStart:
                if byte == 0x0D {
                    state = .trailerLF(isEmptyLine: true)
                } else {
                    guard ASCII.isToken(byte) else { throw Self.error("invalid trailer field") }
                    state = .trailerLine(sawColon: false)
                    try countTrailerBytes(1)
                }
                index += 1
            case .trailerLine(let sawColon):
                if byte == 0x0D {
                    guard sawColon else { throw Self.error("trailer field has no colon") }
                    state = .trailerLF(isEmptyLine: false)
                } else if !ASCII.isFieldValueByte(byte) {
                    throw Self.error("invalid character in trailer field")
                } else if byte == UInt8(ascii: ":") {
                    state = .trailerLine(sawColon: true)
                }
                try countTrailerBytes(1)
                index += 1
            case .trailerLF(let isEmptyLine):
                guard byte == 0x0A else { throw Self.error("trailer line does not end with CRLF") }
                index += 1
                if isEmptyLine {
                    state = .done
                    return .done(consumed: index)
                }
                try countTrailerBytes(2)
                state = .trailerLineStart
            case .done:
                return .done(consumed: index)
            }
        }
        if case .done = state { return .done(consumed: index) }
        return .needMore
    }

    /// Counts the bytes of non-empty trailer lines (CRLF included) against the trailer limit.
    private mutating func countTrailerBytes(_ count: Int) throws {
        trailerBytes += count
        guard trailerBytes <= maxTrailerBytes else {
            throw HTTPRequestError(.headersTooLarge, code: "header_too_large", "chunked trailer section is too large")
        }
    }

    private static func error(_ message: String) -> HTTPRequestError {
        HTTPRequestError(.badRequest, code: "invalid_chunked_body", message)
    }

    static func bodyTooLarge(_ limit: Int) -> HTTPRequestError {
        HTTPRequestError(.payloadTooLarge, code: "body_too_large", "request body exceeds \(limit) bytes")
    }
}
