import CBifrostSystem
import Dispatch
import Glibc

/// A resolved socket address (IPv4 or IPv6), ready for `connect`.
public struct SocketAddress: Sendable, CustomStringConvertible {
    var storage: sockaddr_storage
    var length: socklen_t

    /// `address:port`, IPv6 in brackets.
    public var description: String {
        var storage = self.storage
        let family = Int32(storage.ss_family)
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        return withUnsafePointer(to: &storage) { pointer -> String in
            if family == AF_INET6 {
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { v6 in
                    var address = v6.pointee.sin6_addr
                    inet_ntop(AF_INET6, &address, &buffer, socklen_t(buffer.count))
                    return "[\(Self.text(buffer))]:\(UInt16(bigEndian: v6.pointee.sin6_port))"
                }
            }
            return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4 in
                var address = v4.pointee.sin_addr
                inet_ntop(AF_INET, &address, &buffer, socklen_t(buffer.count))
                return "\(Self.text(buffer)):\(UInt16(bigEndian: v4.pointee.sin_port))"
            }
        }
    }

    var family: Int32 { Int32(storage.ss_family) }

    private static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Name resolution with `getaddrinfo`, which blocks: it runs on a Dispatch queue, never on a loop.
public enum Resolver {
    private static let queue = DispatchQueue(label: "bifrost.resolver", attributes: .concurrent)

    /// Resolves `host:port` (numeric addresses skip the lookup) and calls `completion` with the
    /// addresses in `getaddrinfo` order, or a message saying why none were found.
    public static func resolve(host: String, port: Int,
                               completion: @escaping @Sendable (Result<[SocketAddress], ResolveError>) -> Void) {
        if let numeric = try? lookup(host: host, port: port, numericOnly: true) {
            completion(.success(numeric))
            return
        }
        queue.async {
            completion(Result { try lookup(host: host, port: port, numericOnly: false) }.mapError { $0 as! ResolveError })
        }
    }

    static func lookup(host: String, port: Int, numericOnly: Bool) throws -> [SocketAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = CBS_SOCK_STREAM
        hints.ai_flags = AI_NUMERICSERV | (numericOnly ? AI_NUMERICHOST : AI_ADDRCONFIG)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0 else { throw ResolveError(message: String(cString: gai_strerror(rc))) }
        defer { freeaddrinfo(list) }
        var addresses: [SocketAddress] = []
        var entry = list
        while let current = entry {
            var storage = sockaddr_storage()
            let length = current.pointee.ai_addrlen
            withUnsafeMutableBytes(of: &storage) { target in
                target.copyMemory(from: UnsafeRawBufferPointer(start: current.pointee.ai_addr, count: Int(length)))
            }
            addresses.append(SocketAddress(storage: storage, length: length))
            entry = current.pointee.ai_next
        }
        guard !addresses.isEmpty else { throw ResolveError(message: "no addresses") }
        return addresses
    }
}

/// Why a name did not resolve.
public struct ResolveError: Error, Sendable {
    public let message: String
}

extension Socket {
    /// Starts a non-blocking connect to `address`; returns the socket and whether it is already connected.
    public static func connect(to address: SocketAddress) throws -> (fd: Int32, connected: Bool) {
        let fd = try syscallBlocking("socket") {
            Glibc.socket(address.family, CBS_SOCK_STREAM | CBS_SOCK_NONBLOCK | CBS_SOCK_CLOEXEC, 0)
        }
        var storage = address.storage
        do {
            let result = try withUnsafePointer(to: &storage) { pointer in
                try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                    try syscall("connect") { Glibc.connect(fd, raw, address.length) }
                }
            }
            setNoDelay(fd)
            if case .done = result { return (fd, true) }
            return (fd, false)
        } catch {
            closeDescriptor(fd)
            throw error
        }
    }

    /// The outcome of a non-blocking connect once the socket is writable: `nil` when connected.
    public static func pendingError(_ fd: Int32) -> SystemError? {
        var code: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length) == 0 else {
            return SystemError(code: errno, call: "getsockopt(SO_ERROR)")
        }
        return code == 0 ? nil : SystemError(code: code, call: "connect")
    }

    /// True when an idle connection has pending input or the peer closed it (checked with `MSG_PEEK`).
    public static func hasPendingInputOrClosed(_ fd: Int32) -> Bool {
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        if n > 0 || n == 0 { return true }
        return !(errno == EAGAIN || errno == EWOULDBLOCK)
    }
}
