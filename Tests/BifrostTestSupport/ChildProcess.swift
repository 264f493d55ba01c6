import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A `bifrost-http` (or `bifrost-mock`) process started by a test, its output collected as it comes.
public final class ChildProcess {
    private final class Buffer: Sendable {
        let text = Mutex("")
    }

    /// The directory of the test bundle, where SwiftPM also puts `bifrost-http` and `bifrost-mock`.
    public static let binDirectory: String = {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var directory = (me as NSString).deletingLastPathComponent
        // The bundle may be a directory (`*.xctest/...`) on some platforms.
        while directory.hasSuffix(".xctest") || directory.contains(".xctest/") {
            directory = (directory as NSString).deletingLastPathComponent
        }
        return directory
    }()

    public static var gatewayBinary: String { "\(binDirectory)/bifrost-http" }
    public static var mockBinary: String { "\(binDirectory)/bifrost-mock" }

    private let process: Process
    private let collected = Buffer()

    /// Starts `binary` with `arguments`; `environment` entries are added to the test's own.
    public init(_ binary: String, _ arguments: [String], environment: [String: String] = [:]) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = pipe
        try process.run()
        let reader = pipe.fileHandleForReading
        let collected = self.collected
        Thread.detachNewThread {
            while true {
                let data = reader.availableData
                if data.isEmpty { return }
                collected.text.withLock { $0 += String(decoding: data, as: UTF8.self) }
            }
        }
    }

    deinit { stop() }

    /// Everything the process wrote so far.
    public var output: String { collected.text.withLock { $0 } }

    public var isRunning: Bool { process.isRunning }
    public var exitStatus: Int32 { process.terminationStatus }

    /// Waits until a line contains `needle` (returns it), or the process exits / `seconds` pass (nil).
    public func line(containing needle: String, seconds: Double) -> String? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let text = output
            if let line = text.split(separator: "\n").first(where: { $0.contains(needle) }) { return String(line) }
            if !process.isRunning {
                usleep(50_000)
                return output.split(separator: "\n").first(where: { $0.contains(needle) }).map(String.init)
            }
            usleep(20_000)
        }
        return nil
    }

    /// The port from the gateway's `listening … address=host:port` line (or the mock's `…://host:port`).
    public func listeningPort(seconds: Double) -> Int? {
        guard let line = line(containing: "listening", seconds: seconds) else { return nil }
        let afterColon = line.split(separator: ":").last { $0.first?.isNumber == true }
        return afterColon.flatMap { Int($0.prefix { $0.isNumber }) }
    }

    /// Waits for the process to exit (SIGKILL after `seconds`) and returns its status.
    @discardableResult
    public func waitForExit(seconds: Double) -> Int32 {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return -1
        }
        usleep(50_000)  // let the reader thread take the last bytes
        return process.terminationStatus
    }

    /// SIGTERM and wait.
    public func stop() {
        guard process.isRunning else { return }
        process.terminate()
        waitForExit(seconds: 10)
    }
}
