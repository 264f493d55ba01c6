import CBifrostSystem
import Glibc

/// A failed system call: which call, and the errno it returned.
///
/// Errors that mean "try again later" never become a `SystemError`: see ``IOResult``.
public struct SystemError: Error, CustomStringConvertible, Equatable {
    /// The errno value reported by the kernel.
    public let code: Int32
    /// The name of the failing call, e.g. `"accept4"`.
    public let call: String

    public init(code: Int32, call: String) {
        self.code = code
        self.call = call
    }

    public var description: String {
        "\(call): \(String(cString: strerror(code))) (errno \(code))"
    }

    /// True when the peer went away (reset or broken pipe), the normal end of many connections.
    public var isPeerGone: Bool {
        code == ECONNRESET || code == EPIPE || code == ENOTCONN || code == ETIMEDOUT
    }
}

/// The outcome of a non-blocking call: it completed, or it would have blocked.
public enum IOResult<Value> {
    case done(Value)
    case wouldBlock
}

/// The one place where errno becomes Swift control flow.
///
/// - `EINTR` is retried.
/// - `EAGAIN`/`EWOULDBLOCK` (and `EINPROGRESS` for connect) become ``IOResult/wouldBlock``.
/// - `EBADF`, `EFAULT` and `ENOTSOCK` are programmer errors and trap.
/// - Anything else throws a ``SystemError`` naming the call.
///
/// errno is read in C (`cbs_errno`) immediately after the call, before Swift can run any
/// retain/release that might clobber it.
@inline(__always)
public func syscall<T: FixedWidthInteger>(_ call: StaticString, _ body: () -> T) throws -> IOResult<T> {
    while true {
        let result = body()
        if result >= 0 { return .done(result) }
        let code = cbs_errno()
        switch code {
        case EINTR:
            continue
        case EAGAIN, EWOULDBLOCK, EINPROGRESS:
            return .wouldBlock
        case EBADF, EFAULT, ENOTSOCK:
            preconditionFailure("\(call) failed with errno \(code): this is a bug in the caller")
        default:
            throw SystemError(code: code, call: "\(call)")
        }
    }
}

/// Like ``syscall(_:_:)`` for calls that never legitimately would-block (socket setup, epoll_ctl).
@inline(__always)
public func syscallBlocking<T: FixedWidthInteger>(_ call: StaticString, _ body: () -> T) throws -> T {
    switch try syscall(call, body) {
    case .done(let value): return value
    case .wouldBlock: throw SystemError(code: EAGAIN, call: "\(call)")
    }
}

/// Closes a descriptor. On Linux `close` releases the fd even when it reports `EINTR`, so it is never retried.
public func closeDescriptor(_ fd: Int32) {
    if Glibc.close(fd) != 0 {
        let code = cbs_errno()
        precondition(code != EBADF, "close(\(fd)) on a descriptor that is not open: this is a bug")
    }
}

/// Writes all of `bytes` to a blocking descriptor that is not a socket of ours (a log file, a pipe):
/// interrupted and partial writes are retried, a full non-blocking descriptor is waited on briefly.
/// Returns false on any other error (a closed standard error must not take the process down, so
/// unlike ``syscall(_:_:)`` a bad descriptor is not treated as a bug here).
public func writeFully(_ fileDescriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
    var offset = 0
    while offset < bytes.count {
        let result = write(fileDescriptor, bytes.baseAddress! + offset, bytes.count - offset)
        if result > 0 {
            offset += result
            continue
        }
        let code = result < 0 ? cbs_errno() : EIO
        switch code {
        case EINTR: continue
        case EAGAIN, EWOULDBLOCK: usleep(1_000)
        default: return false
        }
    }
    return true
}
