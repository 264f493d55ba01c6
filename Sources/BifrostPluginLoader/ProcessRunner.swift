import Foundation
import Logging

/// Runs a tool (swift, git) to completion, streaming its output lines to a callback. Blocking: the
/// loader runs before the server starts, never on an event loop.
enum ProcessRunner {
    struct Result {
        var status: Int32
        var output: [String]
    }

    /// Runs `executable` with `arguments`; stdout and stderr are merged, each line goes to `line`.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String],
                    directory: String? = nil, line: (String) -> Void = { _ in }) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        var output: [String] = []
        var pending = Data()
        let reader = pipe.fileHandleForReading
        func flush(all: Bool) {
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let text = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                pending.removeSubrange(pending.startIndex...newline)
                output.append(text)
                line(text)
            }
            if all && !pending.isEmpty {
                let text = String(decoding: pending, as: UTF8.self)
                pending.removeAll()
                output.append(text)
                line(text)
            }
        }
        while true {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            pending.append(chunk)
            flush(all: false)
        }
        flush(all: true)
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: output)
    }

    /// The first executable called `name` on `PATH`, symlinks resolved.
    static func which(_ name: String, environment: [String: String]) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        for directory in (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
