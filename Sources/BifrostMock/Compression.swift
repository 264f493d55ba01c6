import CZlib

/// The `Content-Encoding`s the mock can produce.
enum CompressionFormat: Sendable {
    /// RFC 1952 gzip (zlib window bits 15 + 16).
    case gzip
    /// RFC 1950 zlib stream, what HTTP calls `deflate` (window bits 15).
    case deflate

    var contentEncoding: String {
        switch self {
        case .gzip: "gzip"
        case .deflate: "deflate"
        }
    }

    var windowBits: Int32 {
        switch self {
        case .gzip: 31
        case .deflate: 15
        }
    }
}

/// zlib compression of a body written in pieces.
enum Compressor {
    /// Compresses `pieces` as one stream: each piece but the last ends with a sync flush, the last
    /// finishes the stream. Joined, the result is one valid gzip/zlib stream.
    static func compress(_ pieces: [[UInt8]], format: CompressionFormat) -> [[UInt8]] {
        var stream = z_stream()
        let status = czlib_deflateInit2(&stream, Z_BEST_SPEED, format.windowBits)
        precondition(status == Z_OK, "deflateInit2 failed (\(status)): out of memory")
        defer { deflateEnd(&stream) }
        var output: [[UInt8]] = []
        output.reserveCapacity(pieces.count)
        for (index, piece) in pieces.enumerated() {
            let last = index == pieces.count - 1
            output.append(deflatePiece(&stream, piece, flush: last ? Z_FINISH : Z_SYNC_FLUSH))
        }
        return output
    }

    private static func deflatePiece(_ stream: inout z_stream, _ piece: [UInt8], flush: Int32) -> [UInt8] {
        var input = piece
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: max(256, piece.count + piece.count / 8 + 64))
        input.withUnsafeMutableBufferPointer { source in
            stream.next_in = source.baseAddress
            stream.avail_in = UInt32(source.count)
            var result: Int32 = Z_OK
            repeat {
                let produced = buffer.withUnsafeMutableBufferPointer { target -> Int in
                    stream.next_out = target.baseAddress
                    stream.avail_out = UInt32(target.count)
                    result = deflate(&stream, flush)
                    return target.count - Int(stream.avail_out)
                }
                output.append(contentsOf: buffer[0..<produced])
            } while stream.avail_out == 0 && result != Z_STREAM_END
            stream.next_in = nil
        }
        return output
    }
}
