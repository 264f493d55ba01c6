import BifrostIO
import BifrostTestSupport
import BifrostTLS
import Glibc
import Testing

/// `TLSConnection.socketDrained` lets a reader stop without the read that would only find `EAGAIN`.
/// It must never claim the socket is drained while OpenSSL still holds bytes or the socket has more.
@Suite("TLS reads: knowing the socket is drained without one more read")
struct TLSSocketDrainTests {
    /// A client and a server session over a non-blocking socket pair, handshake done.
    final class SessionPair {
        let client: TLSConnection
        let server: TLSConnection
        private let fds: [Int32]

        init() throws {
            var fds: [Int32] = [0, 0]
            precondition(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
            for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
            self.fds = fds
            let certificates = TestCertificates.shared
            var clientConfiguration = TLSClientConfiguration()
            clientConfiguration.caFile = certificates.caFile
            let clientContext = try TLSContext(client: clientConfiguration)
            let serverContext = try serverTLS(certificates.serverCertificate, certificates.serverKey)
            client = try TLSConnection(client: clientContext, fd: fds[0], serverName: "localhost")
            server = try TLSConnection(server: serverContext, fd: fds[1])
            var clientDone = false
            var serverDone = false
            for _ in 0..<100 where !(clientDone && serverDone) {
                if !clientDone, case .done = try client.handshake() { clientDone = true }
                if !serverDone, case .done = try server.handshake() { serverDone = true }
            }
            precondition(clientDone && serverDone, "handshake did not complete")
        }

        deinit { fds.forEach { close($0) } }

        /// Sends `bytes` from the server as one `SSL_write` (one record up to 16 kB).
        func serverSends(_ bytes: [UInt8]) throws {
            var offset = 0
            while offset < bytes.count {
                let result = try bytes.withUnsafeBytes { try server.write($0.baseAddress! + offset, count: bytes.count - offset) }
                guard case .done(let written) = result else { Issue.record("server write would block"); return }
                offset += written
            }
        }

        /// One client read into a buffer of `capacity`: the bytes, or nil when it would block.
        func clientReads(capacity: Int = 65536) throws -> [UInt8]? {
            var buffer = [UInt8](repeating: 0, count: capacity)
            let result = try buffer.withUnsafeMutableBytes { try client.read(into: $0) }
            guard case .done(let count) = result else { return nil }
            return Array(buffer[..<count])
        }
    }

    @Test func aSmallRecordReadLeavesTheSocketDrained() throws {
        let pair = try SessionPair()
        try pair.serverSends(Array("hello".utf8))
        #expect(try pair.clientReads() == Array("hello".utf8))
        #expect(pair.client.socketDrained)
        #expect(try pair.clientReads() == nil)
    }

    @Test func aSecondRecordAlreadyReadAheadIsNotDrained() throws {
        let pair = try SessionPair()
        try pair.serverSends(Array("one".utf8))
        try pair.serverSends(Array("two".utf8))
        // Read-ahead took both records from the socket; the first read returns the first record only.
        #expect(try pair.clientReads() == Array("one".utf8))
        #expect(!pair.client.socketDrained)
        #expect(try pair.clientReads() == Array("two".utf8))
        #expect(pair.client.socketDrained)
    }

    @Test func readingUntilDrainedGetsEveryByteOfALargeMessage() throws {
        let pair = try SessionPair()
        let message = (0..<48_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try pair.serverSends(message)
        var received: [UInt8] = []
        repeat {
            guard let bytes = try pair.clientReads(capacity: 4096) else { break }
            received += bytes
        } while !pair.client.socketDrained
        #expect(received.count == message.count)
        #expect(received.elementsEqual(message))
        #expect(try pair.clientReads() == nil)
    }
}
