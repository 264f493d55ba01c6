import BifrostHTTP
import BifrostMock
import BifrostTestSupport
import Foundation
import Synchronization
import Testing

/// A `bifrost-http` child process; its output is collected as it comes.
final class RateLimitGatewayProcess {
    private final class Buffer: Sendable {
        let text = Mutex("")
    }

    private let process = Process()
    private let output = Buffer()

    /// The directory holding the test bundle, where SwiftPM also builds `bifrost-http`.
    static let binary: String = {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var directory = (me as NSString).deletingLastPathComponent
        while directory.contains(".xctest") { directory = (directory as NSString).deletingLastPathComponent }
        return directory + "/bifrost-http"
    }()

    init(config: String) throws {
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["-config", config, "-host", "127.0.0.1", "-port", "0"]
        process.environment = ProcessInfo.processInfo.environment.merging(["BIFROST_LOG_LEVEL": "info"]) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let reader = pipe.fileHandleForReading
        let output = self.output
        Thread.detachNewThread {
            while true {
                let data = reader.availableData
                if data.isEmpty { return }
                output.text.withLock { $0 += String(decoding: data, as: UTF8.self) }
            }
        }
    }

    var text: String { output.text.withLock { $0 } }

    /// The port from the `listening … address=127.0.0.1:<port>` line, once it appears.
    func port(within seconds: Double) -> Int? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline && process.isRunning {
            if let line = text.split(separator: "\n").first(where: { $0.contains("listening") }),
               let range = line.range(of: "127.0.0.1:") {
                return Int(line[range.upperBound...].prefix { $0.isNumber })
            }
            usleep(50_000)
        }
        return nil
    }

    deinit {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }
}

/// Two real `bifrost-http` processes load `Plugins/ratelimit` with `type: "local"` (compiled by the
/// gateway) and share one Redis through the gateway's own Redis client.
@Suite("ratelimit plugin in two bifrost-http processes", .serialized,
       .enabled(if: FileManager.default.isExecutableFile(atPath: RateLimitGatewayProcess.binary)))
struct RateLimitProcessTests {
    static let pluginSource = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Plugins/ratelimit").path

    @Test func twoProcessesShareOneLimitAndFailOpenWhenRedisDies() throws {
        let redis = try TestRedisServer()
        let mock = MockProvider(options: MockOptions())
        let upstream = try TestServer(handler: ClosureHandler { request, responder in mock.handle(request, responder: responder) })
        let directory = temporaryDirectory()
        let config = """
            {"providers": {"ollama": {"network_config": {"base_url": "http://127.0.0.1:\(upstream.port)"}}},
             "plugins": [{"name": "ratelimit", "type": "local", "source": "\(Self.pluginSource)",
                          "config": {"rules": [{"requests_per_minute": 4}], "backend": "redis",
                                     "redis": {"url": "\(redis.url())", "timeout_ms": 1000}}}]}
            """
        let path = directory + "/config.json"
        try config.write(toFile: path, atomically: true, encoding: .utf8)
        // The first start compiles the plugin into the cache next to the config; the second loads it from there.
        let first = try RateLimitGatewayProcess(config: path)
        let firstPort = try #require(first.port(within: 900), "first gateway did not start: \(first.text)")
        let second = try RateLimitGatewayProcess(config: path)
        let secondPort = try #require(second.port(within: 120), "second gateway did not start: \(second.text)")

        func chat(_ port: Int) throws -> TestClient.Response {
            let client = try TestClient(port: port, timeoutSeconds: 10)
            try client.send(TestClient.request("POST", "/v1/chat/completions",
                                               body: #"{"model": "ollama/llama3", "messages": [{"role": "user", "content": "hi"}]}"#))
            return try client.readResponse()
        }
        var statuses: [Int] = []
        var retryAfter: String?
        for index in 0..<8 {
            let response = try chat(index % 2 == 0 ? firstPort : secondPort)
            statuses.append(response.status)
            if response.status == 429 { retryAfter = response.header("Retry-After") }
        }
        #expect(statuses.filter { $0 == 200 }.count == 4, "\(statuses)")
        #expect(statuses.filter { $0 == 429 }.count == 4, "\(statuses)")
        #expect(retryAfter == "15")  // 4 per minute: one every 15 s

        // Redis gone: fail-open (the default) serves requests, and says so in the log.
        redis.kill()
        #expect(try chat(firstPort).status == 200)
        #expect(try chat(secondPort).status == 200)
        #expect(first.text.contains("ratelimit plugin: rate limit backend failed; allowing the request"))
    }
}
