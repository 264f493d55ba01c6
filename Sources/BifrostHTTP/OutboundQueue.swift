import BifrostIO
import Glibc

/// Bytes waiting to be written to a socket, flushed with one `writev` per batch.
///
/// Small pieces are coalesced into the last buffer; large bodies are queued as they are (no copy).
/// The owner bounds the total through ``bufferedBytes`` (backpressure), so this queue never grows without limit.
struct OutboundQueue {
    private var chunks: [[UInt8]] = []
    private var headOffset = 0
    /// Bytes queued and not yet written.
    private(set) var bufferedBytes = 0

    private static let coalesceLimit = 4096
    private static let maxVectors = 16

    var isEmpty: Bool { bufferedBytes == 0 }

    mutating func append(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        bufferedBytes += bytes.count
        if bytes.count <= Self.coalesceLimit, let last = chunks.indices.last,
           chunks[last].count + bytes.count <= Self.coalesceLimit * 4, !(last == 0 && headOffset > 0) {
            chunks[last].append(contentsOf: bytes)
        } else {
            chunks.append(bytes)
        }
    }

    enum FlushResult {
        /// Everything was written.
        case drained
        /// The socket is full; wait for it to become writable.
        case wouldBlock
    }

    /// Writes as much as the channel takes. Throws the channel's error (the peer went away).
    mutating func flush(to channel: SocketChannel) throws -> FlushResult {
        while bufferedBytes > 0 {
            let written: Int
            switch try writeBatch(channel) {
            case .done(let n): written = n
            case .wouldBlock: return .wouldBlock
            }
            consume(written)
        }
        return .drained
    }

    mutating func removeAll() {
        chunks.removeAll()
        headOffset = 0
        bufferedBytes = 0
    }

    private mutating func consume(_ written: Int) {
        var remaining = written
        bufferedBytes -= written
        while remaining > 0 {
            let available = chunks[0].count - headOffset
            if remaining >= available {
                remaining -= available
                chunks.removeFirst()
                headOffset = 0
            } else {
                headOffset += remaining
                remaining = 0
            }
        }
    }

    private func writeBatch(_ channel: SocketChannel) throws -> IOResult<Int> {
        let count = min(chunks.count, Self.maxVectors)
        return try withUnsafeTemporaryAllocation(of: iovec.self, capacity: count) { vectors in
            try gather(index: 0, count: count, vectors: vectors) {
                try channel.write(UnsafeBufferPointer(vectors))
            }
        }
    }

    /// Pins chunk `index..<count` in memory (nested `withUnsafeBytes`), fills the iovecs, then calls `body`.
    private func gather<R>(index: Int, count: Int, vectors: UnsafeMutableBufferPointer<iovec>,
                           _ body: () throws -> R) rethrows -> R {
        if index == count { return try body() }
        return try chunks[index].withUnsafeBytes { raw in
            let offset = index == 0 ? headOffset : 0
            vectors[index] = iovec(iov_base: UnsafeMutableRawPointer(mutating: raw.baseAddress! + offset),
                                   iov_len: raw.count - offset)
            return try gather(index: index + 1, count: count, vectors: vectors, body)
        }
    }
}
