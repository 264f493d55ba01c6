import BifrostIO
import COpenSSL
import Glibc

/// One TLS session over a non-blocking socket, driven by the event loop that owns the socket.
///
/// Every call clears the thread's OpenSSL error queue first and maps `SSL_get_error` to
/// ``IOResult``: `WANT_READ`/`WANT_WRITE` are `.wouldBlock` (with ``wantsRead``/``wantsWrite``
/// saying which readiness unblocks it). Loop-confined: not Sendable.
public final class TLSConnection {
    private let ssl: OpaquePointer
    private let isClient: Bool
    private let peerName: String?
    /// The last `.wouldBlock` needs the socket readable.
    public private(set) var wantsRead = false
    /// The last `.wouldBlock` needs the socket writable.
    public private(set) var wantsWrite = false
    /// The handshake has completed.
    public private(set) var isEstablished = false
    /// Written by OpenSSL's socket reads (the shim's BIO callback): nonzero when the last one came
    /// back short. Its own allocation, so its address is stable for the session's lifetime.
    private let lastSocketReadShort: UnsafeMutablePointer<Int32>

    /// True when the last socket read came back short and OpenSSL holds no unread bytes: another
    /// ``read(into:)`` now would only find the socket empty (an `EAGAIN` system call). Read-ahead
    /// makes OpenSSL ask for a whole buffer at a time, so a short read means the socket was drained.
    public var socketDrained: Bool {
        lastSocketReadShort.pointee != 0 && SSL_has_pending(ssl) == 0
    }

    /// Prepares a client session on `fd`, with SNI and host-name verification for `serverName`
    /// (an IP address is checked against the certificate's IP SANs). Reuses `session` when given.
    public init(client context: TLSContext, fd: Int32, serverName: String, session: TLSSession? = nil) throws {
        guard let ssl = SSL_new(context.context) else {
            throw TLSError(.configuration, "SSL_new failed: \(TLSError.drainErrorQueue())")
        }
        self.ssl = ssl
        isClient = true
        peerName = serverName
        lastSocketReadShort = Self.attachReadTracking(ssl, fd: fd)
        SSL_set_connect_state(ssl)
        let isIPAddress = Self.isIPAddress(serverName)
        if !isIPAddress { _ = copenssl_SSL_set_tlsext_host_name(ssl, serverName) }
        if context.clientConfiguration?.verifyPeer ?? true {
            if isIPAddress {
                _ = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), serverName)
            } else {
                _ = SSL_set1_host(ssl, serverName)
            }
        }
        if let session { _ = SSL_set_session(ssl, session.session) }
    }

    /// Prepares a server session on an accepted `fd`.
    public init(server context: TLSContext, fd: Int32) throws {
        guard let ssl = SSL_new(context.context) else {
            throw TLSError(.configuration, "SSL_new failed: \(TLSError.drainErrorQueue())")
        }
        self.ssl = ssl
        isClient = false
        peerName = nil
        lastSocketReadShort = Self.attachReadTracking(ssl, fd: fd)
        SSL_set_accept_state(ssl)
    }

    deinit {
        SSL_free(ssl)
        lastSocketReadShort.deallocate()
    }

    /// Puts `ssl` on `fd` with read-ahead, and returns the flag its socket reads report to.
    private static func attachReadTracking(_ ssl: OpaquePointer, fd: Int32) -> UnsafeMutablePointer<Int32> {
        SSL_set_fd(ssl, fd)
        let flag = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        flag.initialize(to: 0)
        copenssl_SSL_track_socket_reads(ssl, flag)
        return flag
    }

    /// Advances the handshake. `.done` once established.
    public func handshake() throws -> IOResult<Void> {
        ERR_clear_error()
        let rc = SSL_do_handshake(ssl)
        if rc == 1 {
            isEstablished = true
            wantsRead = false
            wantsWrite = false
            return .done(())
        }
        return try classify(rc, during: "handshake").map { _ in () }
    }

    /// Reads decrypted bytes; `.done(0)` is a clean close (close_notify) or EOF.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> IOResult<Int> {
        ERR_clear_error()
        var count = 0
        if SSL_read_ex(ssl, buffer.baseAddress, buffer.count, &count) == 1 {
            if !isEstablished { isEstablished = true }
            wantsRead = false
            wantsWrite = false
            return .done(count)
        }
        return try classify(0, during: isEstablished ? "read" : "handshake")
    }

    /// Encrypts and writes up to `count` bytes (partial writes allowed); returns how many were taken.
    public func write(_ bytes: UnsafeRawPointer, count: Int) throws -> IOResult<Int> {
        ERR_clear_error()
        var written = 0
        if SSL_write_ex(ssl, bytes, count, &written) == 1 {
            if !isEstablished { isEstablished = true }
            wantsRead = false
            wantsWrite = false
            return .done(written)
        }
        return try classify(0, during: isEstablished ? "write" : "handshake")
    }

    /// Sends close_notify (best effort, never blocks).
    public func shutdown() {
        ERR_clear_error()
        if isEstablished { _ = SSL_shutdown(ssl) }
        ERR_clear_error()
    }

    /// The session to offer on the next connection to the same server (resumption), when the
    /// server issued a resumable one. With TLS 1.3 the ticket arrives after the handshake, so ask
    /// again after the first response has been read.
    public func session() -> TLSSession? {
        guard let session = SSL_get1_session(ssl) else { return nil }
        guard SSL_SESSION_is_resumable(session) == 1 else {
            SSL_SESSION_free(session)
            return nil
        }
        return TLSSession(session)
    }

    /// True when the last handshake resumed an earlier session.
    public var resumedSession: Bool { SSL_session_reused(ssl) == 1 }

    /// The ALPN protocol the peer chose, if any.
    public var negotiatedProtocol: String? {
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &data, &length)
        guard let data, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    private func classify(_ rc: Int32, during operation: String) throws -> IOResult<Int> {
        let error = SSL_get_error(ssl, rc)
        switch error {
        case SSL_ERROR_WANT_READ:
            wantsRead = true
            wantsWrite = false
            return .wouldBlock
        case SSL_ERROR_WANT_WRITE:
            wantsRead = false
            wantsWrite = true
            return .wouldBlock
        case SSL_ERROR_ZERO_RETURN:
            return .done(0)
        case SSL_ERROR_SYSCALL:
            let queue = TLSError.drainErrorQueue()
            let code = errno
            if !queue.isEmpty { throw failure(operation, queue) }
            if code == 0 || code == EAGAIN {
                // EOF without close_notify.
                if !isEstablished { throw TLSError(.handshake, "connection closed during the TLS handshake\(peerSuffix)") }
                return .done(0)
            }
            throw SystemError(code: code, call: "SSL_\(operation)")
        default:
            throw failure(operation, TLSError.drainErrorQueue())
        }
    }

    private func failure(_ operation: String, _ reason: String) -> TLSError {
        if isClient && !isEstablished {
            let verify = SSL_get_verify_result(ssl)
            if verify != X509_V_OK {
                let text = String(cString: X509_verify_cert_error_string(verify))
                return TLSError(.verify, "certificate verification failed\(peerSuffix): \(text)")
            }
        }
        let kind: TLSError.Kind = isEstablished ? .protocolError : .handshake
        return TLSError(kind, "TLS \(operation) failed\(peerSuffix): \(reason.isEmpty ? "unknown error" : reason)")
    }

    private var peerSuffix: String { peerName.map { " for \($0)" } ?? "" }

    private static func isIPAddress(_ name: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, name, &v4) == 1 || inet_pton(AF_INET6, name, &v6) == 1
    }
}

/// A resumable TLS session (`SSL_SESSION`), shareable between loops.
public final class TLSSession: @unchecked Sendable {
    let session: OpaquePointer
    init(_ session: OpaquePointer) { self.session = session }
    deinit { SSL_SESSION_free(session) }
}

extension IOResult {
    func map<T>(_ transform: (Value) -> T) -> IOResult<T> {
        switch self {
        case .done(let value): .done(transform(value))
        case .wouldBlock: .wouldBlock
        }
    }
}
