import CZlib

/// Why a compressed body could not be inflated.
struct InflateError: Error, CustomStringConvertible {
    let code: Int32
    var description: String { "zlib inflate failed with \(code)" }
}

/// Inflates a complete zlib (`windowBits` 15) or gzip (`windowBits` 31) stream; throws when the
/// data is corrupt or ends before the stream does.
func inflate(_ bytes: [UInt8], windowBits: Int32) throws -> [UInt8] {
    var stream = z_stream()
    let initialized = czlib_inflateInit2(&stream, windowBits)
    guard initialized == Z_OK else { throw InflateError(code: initialized) }
    defer { inflateEnd(&stream) }
    var input = bytes
    var output: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    try input.withUnsafeMutableBufferPointer { source in
        stream.next_in = source.baseAddress
        stream.avail_in = UInt32(source.count)
        var result: Int32 = Z_OK
        repeat {
            let produced = buffer.withUnsafeMutableBufferPointer { target -> Int in
                stream.next_out = target.baseAddress
                stream.avail_out = UInt32(target.count)
                result = CZlib.inflate(&stream, Z_NO_FLUSH)
                return target.count - Int(stream.avail_out)
            }
            output += buffer[0..<produced]
            guard result == Z_OK || result == Z_STREAM_END else { throw InflateError(code: result) }
        } while result != Z_STREAM_END
    }
    return output
}
