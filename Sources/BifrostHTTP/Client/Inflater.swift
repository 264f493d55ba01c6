import CZlib

/// Streaming gzip/deflate decoder over zlib for `Content-Encoding` response bodies.
final class Inflater {
    enum Format {
        /// gzip (RFC 1952).
        case gzip
        /// "deflate" as HTTP means it: zlib-wrapped (RFC 1950); raw deflate is accepted too.
        case deflate
    }

    private var stream = z_stream()
    private var finished = false

    init(_ format: Format) throws(InflateError) {
        // 15+16: gzip only; 15+32 would auto-detect, but a declared coding should be checked.
        let windowBits: Int32 = format == .gzip ? 15 + 16 : 15
        guard czlib_inflateInit2(&stream, windowBits) == Z_OK else { throw InflateError("zlib inflateInit2 failed") }
    }

    deinit {
        inflateEnd(&stream)
    }

    /// Inflates `input`, returning the decoded bytes (possibly none until more input arrives).
    func inflate(_ input: UnsafeRawBufferPointer) throws(InflateError) -> [UInt8] {
        guard !input.isEmpty, !finished else { return [] }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: max(16 * 1024, input.count * 4))
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress!.assumingMemoryBound(to: UInt8.self))
        stream.avail_in = UInt32(input.count)
        repeat {
            let status = chunk.withUnsafeMutableBytes { buffer -> Int32 in
                stream.next_out = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
                stream.avail_out = UInt32(buffer.count)
                return CZlib.inflate(&stream, Z_NO_FLUSH)
            }
            let produced = chunk.count - Int(stream.avail_out)
            output.append(contentsOf: chunk[0..<produced])
            switch status {
            case Z_OK, Z_BUF_ERROR:
                break
            case Z_STREAM_END:
                finished = true
                return output
            default:
                let reason = stream.msg.map { String(cString: $0) } ?? "status \(status)"
                throw InflateError("corrupt compressed body: \(reason)")
            }
        } while stream.avail_in > 0 || stream.avail_out == 0
        return output
    }

    /// True once the compressed stream's end marker was seen.
    var isFinished: Bool { finished }
}

struct InflateError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
