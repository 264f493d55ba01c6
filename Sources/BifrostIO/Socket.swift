import CBifrostSystem
import Glibc

/// Non-blocking TCP socket calls, each through the errno policy in ``syscall(_:_:)``.
public enum Socket {
    /// Creates a listening TCP socket bound to `host:port` (`port` 0 picks a free port).
    ///
    /// `host` is a numeric IPv4/IPv6 address or a name resolved once with `getaddrinfo`
    /// (call this off the event loops). With `reusePort`, several sockets can share the port and
    /// the kernel spreads new connections over them.
    public static func listen(host: String, port: Int, backlog: Int32 = 1024, reusePort: Bool,
                              startListening: Bool = true) throws -> (fd: Int32, port: Int) {
        guard (0...65_535).contains(port) else { throw SocketError.invalidPort(port) }
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = CBS_SOCK_STREAM
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            throw SocketError.resolve(host: host, reason: String(cString: gai_strerror(rc)))
        }
        defer { freeaddrinfo(list) }

        let fd = try syscallBlocking("socket") {
            Glibc.socket(first.pointee.ai_family, CBS_SOCK_STREAM | CBS_SOCK_NONBLOCK | CBS_SOCK_CLOEXEC, 0)
        }
        do {
            try setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1)
            if reusePort { try setOption(fd, SOL_SOCKET, SO_REUSEPORT, 1) }
            do {
                _ = try syscallBlocking("bind") { Glibc.bind(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) }
            } catch let error as SystemError {
                throw SocketError.bind(address: "\(host):\(port)", reason: error.description)
            }
            if startListening { _ = try syscallBlocking("listen") { Glibc.listen(fd, backlog) } }
            return (fd, try localPort(fd))
        } catch {
            closeDescriptor(fd)
            throw error
        }
    }

    /// Checks that `host:port` is free by binding a socket without `SO_REUSEPORT`, and returns the
    /// port (the one the kernel picked when `port` is 0).
    ///
    /// `SO_REUSEPORT` lets a second process of the same user share a port silently; probing first
    /// turns "another gateway is already running here" into a clear `EADDRINUSE` at start-up.
    public static func probeAvailability(host: String, port: Int) throws -> Int {
        let probe = try listen(host: host, port: port, backlog: 1, reusePort: false, startListening: false)
        closeDescriptor(probe.fd)
        return probe.port
    }

    /// The local port a socket is bound to.
    public static func localPort(_ fd: Int32) throws -> Int {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = try withUnsafeMutablePointer(to: &storage) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                try syscallBlocking("getsockname") { getsockname(fd, address, &length) }
            }
        }
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
            }
        default:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            }
        }
    }

    /// Accepts one connection as a non-blocking, close-on-exec socket.
    /// Returns `.wouldBlock` when the backlog is empty; `ECONNABORTED` also reads as "nothing to accept".
    public static func accept(_ listener: Int32) throws -> IOResult<Int32> {
        do {
            return try syscall("accept4") { cbs_accept4(listener, nil, nil, CBS_SOCK_NONBLOCK | CBS_SOCK_CLOEXEC) }
        } catch let error as SystemError where error.code == ECONNABORTED || error.code == EPROTO {
            return .wouldBlock
        }
    }

    /// Reads into `buffer`; `.done(0)` means the peer closed its side.
    @inline(__always)
    public static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws -> IOResult<Int> {
        try syscall("read") { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    }

    /// Writes the gathered buffers in one call (`sendmsg`, so a vanished peer is `EPIPE`, never
    /// SIGPIPE); returns the number of bytes written.
    @inline(__always)
    public static func writev(_ fd: Int32, _ vectors: UnsafePointer<iovec>, count: Int) throws -> IOResult<Int> {
        var message = msghdr()
        message.msg_iov = UnsafeMutablePointer(mutating: vectors)
        message.msg_iovlen = count
        return try syscall("sendmsg") { Glibc.sendmsg(fd, &message, Int32(MSG_NOSIGNAL)) }
    }

    /// Shuts down the sending side (sends FIN) while still allowing reads.
    public static func shutdownWrite(_ fd: Int32) {
        _ = Glibc.shutdown(fd, Int32(SHUT_WR))
    }

    /// Makes the next `close` send a reset (RST) instead of a FIN: an abortive close.
    public static func setResetOnClose(_ fd: Int32) {
        var option = linger(l_onoff: 1, l_linger: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
    }

    /// Disables Nagle's algorithm: responses are written whole, so delaying small segments only adds latency.
    public static func setNoDelay(_ fd: Int32) {
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    static func setOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32) throws {
        var value = value
        _ = try syscallBlocking("setsockopt") {
            setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
        }
    }
}

/// Socket set-up failures worth a clear message at start-up.
public enum SocketError: Error, CustomStringConvertible {
    case invalidPort(Int)
    case resolve(host: String, reason: String)
    case bind(address: String, reason: String)

    public var description: String {
        switch self {
        case .invalidPort(let port): "port \(port) is out of range (0-65535)"
        case .resolve(let host, let reason): "cannot resolve listen address \"\(host)\": \(reason)"
        case .bind(let address, let reason): "cannot listen on \(address): \(reason)"
        }
    }
}
