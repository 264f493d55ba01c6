/// Collects a request body delimited by `Content-Length` or chunked coding.
struct BodyReader {
    private enum Framing {
        case fixed(remaining: Int)
        case chunked(ChunkedBodyDecoder)
    }

    private var framing: Framing
    private(set) var body: [UInt8] = []

    init(contentLength: Int) {
        framing = .fixed(remaining: contentLength)
        body.reserveCapacity(contentLength)
    }

    init(chunked decoder: ChunkedBodyDecoder) {
        framing = .chunked(decoder)
    }

    /// Consumes body bytes from the front of `bytes`; `done` once the body is complete.
    mutating func consume(_ bytes: UnsafeRawBufferPointer, maxBodyBytes: Int) throws -> (consumed: Int, done: Bool) {
        switch framing {
        case .fixed(let remaining):
            let take = min(remaining, bytes.count)
            body.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[0..<take]))
            framing = .fixed(remaining: remaining - take)
            return (take, remaining == take)
        case .chunked(var decoder):
            switch try decoder.decode(bytes, into: &body, maxBodyBytes: maxBodyBytes) {
            case .needMore:
                framing = .chunked(decoder)
                return (bytes.count, false)
            case .done(let consumed):
                framing = .chunked(decoder)
                return (consumed, true)
            }
        }
    }
}
