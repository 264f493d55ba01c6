import Foundation
import Glibc
import Synchronization

/// A small blocking HTTP `CONNECT` proxy for tests: one thread per tunnel, bytes piped with `poll`.
/// Records the requests it saw (CONNECT targets and Proxy-Authorization values).
final class TestProxy: Sendable {
    let port: Int
    private let listener: Int32
    private let seen = Mutex<[(target: String, authorization: String?)]>([])
    private let requiredAuthorization: String?

    init(requiredAuthorization: String? = nil) throws {
        self.requiredAuthorization = requiredAuthorization
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
                bind(listener, pointer, length)
                listen(listener, 16)
                return getsockname(listener, pointer, &length)
            }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        let this = UnsafeSendable(self)
        Thread.detachNewThread { this.value.acceptLoop() }
    }

    var requests: [(target: String, authorization: String?)] { seen.withLock { $0 } }

    func stop() { shutdown(listener, Int32(SHUT_RDWR)); close(listener) }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 { return }
            let this = UnsafeSendable(self)
            Thread.detachNewThread { this.value.serve(client) }
        }
    }

    private func serve(_ client: Int32) {
        defer { close(client) }
        var head: [UInt8] = []
        var byte: UInt8 = 0
        while !(head.count >= 4 && head.suffix(4) == [13, 10, 13, 10]) {
            guard recv(client, &byte, 1, 0) == 1 else { return }
            head.append(byte)
        }
        let lines = String(decoding: head, as: UTF8.self).components(separatedBy: "\r\n")
        let parts = lines[0].split(separator: " ")
        guard parts.count == 3, parts[0] == "CONNECT" else {
            reply(client, "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        }
        let target = String(parts[1])
        let authorization = lines.first { $0.lowercased().hasPrefix("proxy-authorization:") }
            .map { String($0.dropFirst("proxy-authorization:".count)).trimmingCharacters(in: .whitespaces) }
        seen.withLock { $0.append((target, authorization)) }
        if let requiredAuthorization, authorization != requiredAuthorization {
            reply(client, "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
            return
        }
        let hostPort = target.split(separator: ":")
        guard hostPort.count == 2, let port = UInt16(hostPort[1]) else { return }
        let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(upstream) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr(hostPort[0] == "localhost" ? "127.0.0.1" : String(hostPort[0]))
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            reply(client, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return
        }
        reply(client, "HTTP/1.1 200 Connection Established\r\n\r\n")
        pipe(client, upstream)
    }

    private func reply(_ fd: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        _ = send(fd, bytes, bytes.count, Int32(MSG_NOSIGNAL))
    }

    /// Copies bytes both ways until either side closes.
    private func pipe(_ a: Int32, _ b: Int32) {
        var buffer = [UInt8](repeating: 0, count: 16_384)
        var fds = [pollfd(fd: a, events: Int16(POLLIN), revents: 0), pollfd(fd: b, events: Int16(POLLIN), revents: 0)]
        while poll(&fds, 2, 5_000) > 0 {
            for index in 0..<2 where fds[index].revents != 0 {
                let n = recv(fds[index].fd, &buffer, buffer.count, 0)
                if n <= 0 { return }
                var offset = 0
                while offset < n {
                    let sent = buffer[offset..<n].withUnsafeBytes { send(fds[1 - index].fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                    if sent <= 0 { return }
                    offset += sent
                }
            }
        }
    }
}

struct UnsafeSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
