import BifrostIO
import BifrostTLS
import Glibc

/// The byte stream under an HTTP connection: a plain TCP socket or TLS over one.
/// Loop-confined, like the connection that owns it.
enum SocketChannel {
    case plain(Int32)
    case tls(Int32, TLSConnection)

    var fd: Int32 {
        switch self {
        case .plain(let fd), .tls(let fd, _): fd
        }
    }

    var tls: TLSConnection? {
        if case .tls(_, let connection) = self { return connection }
        return nil
    }

    /// After a read of `count` bytes into a buffer of `capacity`: the socket has nothing more for
    /// now, so reading again would only cost an `EAGAIN`. A short plain read drains the socket; a TLS
    /// read returns one record's bytes, so it asks the session whether its last socket read was short.
    func drained(afterReading count: Int, capacity: Int) -> Bool {
        switch self {
        case .plain: count < capacity
        case .tls(_, let connection): connection.socketDrained
        }
    }

    /// The last TLS write would block until the socket is readable (and vice versa):
    /// the connection then retries the other direction on the "wrong" event.
    var writeWaitsForReadable: Bool { tls?.wantsRead ?? false }
    var readWaitsForWritable: Bool { tls?.wantsWrite ?? false }

    /// Reads bytes; `.done(0)` means the peer closed.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> IOResult<Int> {
        switch self {
        case .plain(let fd): try Socket.read(fd, into: buffer)
        case .tls(_, let connection): try connection.read(into: buffer)
        }
    }

    /// How a ``readAll(into:_:)`` ended.
    enum ReadOutcome {
        /// The socket has nothing more for now, or the consumer asked to stop.
        case drained
        /// The peer closed its side.
        case peerClosed
        case failed(any Error)
    }

    /// Reads into `scratch` and hands each piece to `ingest` until the socket would block, the peer
    /// closes, or `ingest` returns false. Edge-triggered: the caller must not stop early on its own.
    func readAll(into scratch: UnsafeMutableRawBufferPointer, _ ingest: (UnsafeRawBufferPointer) -> Bool) -> ReadOutcome {
        while true {
            let count: Int
            do {
                switch try read(into: scratch) {
                case .wouldBlock: return .drained
                case .done(let n): count = n
                }
            } catch {
                return .failed(error)
            }
            if count == 0 { return .peerClosed }
            guard ingest(UnsafeRawBufferPointer(rebasing: scratch[0..<count])) else { return .drained }
            // A later arrival raises a new edge, so a drained socket needs no read to confirm it.
            if drained(afterReading: count, capacity: scratch.count) { return .drained }
        }
    }

    /// Writes from the vectors in order; returns the bytes taken.
    func write(_ vectors: UnsafeBufferPointer<iovec>) throws -> IOResult<Int> {
        switch self {
        case .plain(let fd):
            return try Socket.writev(fd, vectors.baseAddress!, count: vectors.count)
        case .tls(_, let connection):
            var total = 0
            for vector in vectors where vector.iov_len > 0 {
                switch try connection.write(vector.iov_base, count: vector.iov_len) {
                case .done(let written):
                    total += written
                    if written < vector.iov_len { return .done(total) }
                case .wouldBlock:
                    return total > 0 ? .done(total) : .wouldBlock
                }
            }
            return .done(total)
        }
    }

    /// Ends our sending side: close_notify for TLS, then a TCP FIN.
    func shutdownWrite() {
        if case .tls(_, let connection) = self { connection.shutdown() }
        Socket.shutdownWrite(fd)
    }
}
