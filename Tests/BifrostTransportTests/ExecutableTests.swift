import BifrostIO
import Foundation
import Testing

/// Runs the built `bifrost-http` binary as a user would.
@Suite("bifrost-http executable", .serialized)
struct ExecutableTests {
    private static let binary: URL = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/bifrost-http")
    }()

    private func launch(_ arguments: [String]) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return (process, errors)
    }

    /// Waits for `process` to exit; kills it (and fails the test) after `seconds`.
    private func waitForExit(_ process: Process, seconds: Double = 10) {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            Issue.record("bifrost-http did not exit within \(seconds) s")
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// Reads stderr lines until one contains `needle` (or the process ends / 10 s pass).
    private func waitForLine(containing needle: String, in pipe: Pipe) -> String? {
        var text = ""
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            let data = pipe.fileHandleForReading.availableData
            if data.isEmpty { return nil }
            text += String(decoding: data, as: UTF8.self)
            if let line = text.split(separator: "\n").first(where: { $0.contains(needle) }) { return String(line) }
        }
        return nil
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: binary.path)))
    func sigtermStopsTheGatewayWithExitZero() throws {
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("bifrost-exec-\(getpid()).json")
        try Data("{}".utf8).write(to: config)
        defer { try? FileManager.default.removeItem(at: config) }
        let (process, errors) = try launch(["-config", config.path, "-host", "127.0.0.1", "-port", "0"])
        let listening = waitForLine(containing: "listening", in: errors)
        #expect(listening?.contains("address=127.0.0.1:") == true)
        process.terminate()  // SIGTERM
        waitForExit(process)
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: binary.path)))
    func quietLogLevelStillServesUntilSignalled() throws {
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("bifrost-quiet-\(getpid()).json")
        try Data("{}".utf8).write(to: config)
        defer { try? FileManager.default.removeItem(at: config) }
        let probe = try Socket.listen(host: "127.0.0.1", port: 0, reusePort: false)
        closeDescriptor(probe.fd)
        let (process, _) = try launch(["-config", config.path, "-host", "127.0.0.1", "-port", "\(probe.port)", "-log-level", "error"])
        usleep(500_000)
        #expect(process.isRunning, "bifrost-http must keep serving at -log-level error")
        process.terminate()
        waitForExit(process)
        #expect(process.terminationStatus == 0)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: binary.path)))
    func invalidConfigExitsWithStatusTwoAndNamesTheKey() throws {
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("bifrost-bad-\(getpid()).json")
        try Data(#"{"server": {"idle_timeout_seconds": "soon"}}"#.utf8).write(to: config)
        defer { try? FileManager.default.removeItem(at: config) }
        let (process, errors) = try launch(["-config", config.path, "-port", "0"])
        waitForExit(process)
        let output = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 2)
        #expect(output.contains("server.idle_timeout_seconds"))
        #expect(output.contains(config.path))
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: binary.path)))
    func portAlreadyInUseIsAClearStartupError() throws {
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("bifrost-port-\(getpid()).json")
        try Data("{}".utf8).write(to: config)
        defer { try? FileManager.default.removeItem(at: config) }
        let (first, firstErrors) = try launch(["-config", config.path, "-host", "127.0.0.1", "-port", "0"])
        defer { first.terminate(); waitForExit(first) }
        let line = try #require(waitForLine(containing: "listening", in: firstErrors))
        let port = try #require(line.split(separator: ":").last.flatMap { Int($0.prefix { $0.isNumber }) })
        let (second, secondErrors) = try launch(["-config", config.path, "-host", "127.0.0.1", "-port", "\(port)"])
        waitForExit(second)
        let output = String(decoding: secondErrors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(second.terminationStatus == 1)
        #expect(output.contains("cannot listen on 127.0.0.1:\(port)"))
    }
}
