import BifrostIO
import Foundation
import Glibc
import Synchronization

/// A throwaway `redis-server` on a free loopback port, for tests: no persistence, killed on deinit.
/// `make test` installs the `redis-server` package when it is missing.
public final class TestRedisServer: Sendable {
    public let port: Int
    public let password: String?
    private let process = Mutex<Process?>(nil)

    /// Starts a server (with `requirepass` when `password` is set) and waits until it accepts connections.
    public init(password: String? = nil) throws {
        port = try Socket.probeAvailability(host: "127.0.0.1", port: 0)
        self.password = password
        try start()
    }

    /// `redis://[:password@]127.0.0.1:<port>[/database]`.
    public func url(database: Int = 0) -> String {
        let credentials = password.map { ":\($0)@" } ?? ""
        return "redis://\(credentials)127.0.0.1:\(port)" + (database == 0 ? "" : "/\(database)")
    }

    /// Starts the server again on the same port (after ``kill()``).
    public func start() throws {
        guard let binary = Self.binary else {
            throw TestRedisError("redis-server not found (install the redis-server package; `make test` does)")
        }
        let child = Process()
        child.executableURL = URL(fileURLWithPath: binary)
        var arguments = ["--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                         "--daemonize", "no", "--protected-mode", "no", "--loglevel", "warning", "--dir", NSTemporaryDirectory(),
                         "--enable-debug-command", "local"]
        if let password { arguments += ["--requirepass", password] }
        child.arguments = arguments
        child.standardOutput = FileHandle.nullDevice
        child.standardError = FileHandle.nullDevice
        try child.run()
        process.withLock { $0 = child }
        guard waitUntilAccepting(seconds: 10) else {
            kill()
            throw TestRedisError("redis-server did not start on port \(port)")
        }
    }

    /// Kills the server at once (SIGKILL: connections drop as when a machine dies) and waits for it to exit.
    public func kill() {
        guard let child = process.withLock({ current -> Process? in
            defer { current = nil }
            return current
        }) else { return }
        if child.isRunning {
            Glibc.kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
        }
    }

    deinit { kill() }

    private func waitUntilAccepting(seconds: Double) -> Bool {
        let deadline = MonotonicClock.now() + Nanoseconds.seconds(seconds)
        while MonotonicClock.now() < deadline {
            if Self.accepts(port: port) { return true }
            usleep(20_000)
        }
        return false
    }

    private static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    private static let binary: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") + ["/usr/bin", "/usr/local/bin", "/usr/sbin"] {
            let candidate = "\(directory)/redis-server"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }()
}

/// Why a test Redis server could not be started.
public struct TestRedisError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
