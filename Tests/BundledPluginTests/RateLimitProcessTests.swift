import BifrostHTTP
import BifrostMock
import BifrostTestSupport
import Foundation
import Synchronization
import Testing

/// Two real `bifrost-http` processes load `Plugins/ratelimit` with `type: "local"` (compiled by the
/// gateway) and share one Redis through the gateway's own Redis client.
@Suite("ratelimit plugin in two bifrost-http processes", .serialized,
       .enabled(if: FileManager.default.isExecutableFile(atPath: ChildProcess.gatewayBinary)))
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
        let first = try ChildProcess(ChildProcess.gatewayBinary, ["-config", path, "-host", "127.0.0.1", "-port", "0"],
                                     environment: ["BIFROST_LOG_LEVEL": "info"])
        let firstPort = try #require(first.listeningPort(seconds: 900), "first gateway did not start: \(first.output)")
        let second = try ChildProcess(ChildProcess.gatewayBinary, ["-config", path, "-host", "127.0.0.1", "-port", "0"],
                                      environment: ["BIFROST_LOG_LEVEL": "info"])
        let secondPort = try #require(second.listeningPort(seconds: 120), "second gateway did not start: \(second.output)")

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
        // The log writer flushes lines a few milliseconds after they are logged.
        let warning = first.line(containing: "rate limit backend failed; allowing the request", seconds: 5)
        #expect(warning?.contains("plugin=ratelimit") == true, "\(first.output)")
    }
}
