import AuthPlugin
import BifrostCore
import BifrostPluginKit
import CachePlugin
import Foundation
import LoggingPlugin
import Testing

/// The JSON objects in the log file(s) at `path`.
func logLines(_ path: String) -> [[String: Any]] {
    let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    return text.split(separator: "\n").compactMap { jsonBody(String($0)) }
}

@Suite("logging plugin")
struct LoggingPluginTests {
    let directory = temporaryDirectory()
    var path: String { directory + "/requests.log" }

    @Test func oneLinePerRequestWithTheRequestsFacts() async throws {
        let auth = AuthPlugin(keys: [VirtualKey(name: "team-a", value: "vk-secret-a")])
        let logging = try LoggingPlugin(configuration: LoggingConfiguration(path: path))
        let engine = pluginEngine([CountingProvider()], plugins: [logging, auth])
        _ = try await engine.complete(chat(), context: context([("x-bf-vk", "vk-secret-a"), ("x-request-id", "req-42")]))
        _ = try? await engine.complete(chat(), context: context([("x-bf-vk", "wrong-key")]))
        await engine.shutdown()  // cleanup() flushes
        let lines = logLines(path)
        try #require(lines.count == 2)
        let ok = lines[0]
        #expect(ok["request_id"] as? String == "req-42")
        #expect(ok["virtual_key"] as? String == "team-a")
        #expect(ok["provider"] as? String == "openai")
        #expect(ok["model"] as? String == "gpt-4o-mini")
        #expect(ok["status"] as? Int == 200)
        #expect(ok["fallback"] as? Bool == false)
        #expect(ok["latency_ms"] is Double || ok["latency_ms"] is Int)
        #expect((ok["usage"] as? [String: Any])?["total_tokens"] as? Int == 6)
        #expect((ok["time"] as? String)?.hasSuffix("Z") == true)
        #expect(ok["request"] == nil && ok["response"] == nil)
        let denied = lines[1]
        #expect(denied["status"] as? Int == 401)
        #expect(denied["virtual_key"] == nil)
        #expect((denied["request_id"] as? String)?.count == 16)
        let raw = try String(contentsOfFile: path, encoding: .utf8)
        #expect(!raw.contains("vk-secret-a") && !raw.contains("wrong-key") && !raw.contains("upstream-key"))
    }

    @Test func bodiesOnlyWhenConfigured() async throws {
        let logging = try LoggingPlugin(configuration: LoggingConfiguration(path: path, includeBodies: true))
        let engine = pluginEngine([CountingProvider()], plugins: [logging])
        _ = try await engine.complete(chat(text: "what is 2+2?"), context: context([("Authorization", "Bearer secret-token")]))
        await engine.shutdown()
        let line = try #require(logLines(path).first)
        let messages = (line["request"] as? [String: Any])?["messages"] as? [[String: Any]]
        #expect(messages?.first?["content"] as? String == "what is 2+2?")
        #expect((((line["response"] as? [String: Any])?["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])?["content"] as? String == "answer 1")
        #expect(try !String(contentsOfFile: path, encoding: .utf8).contains("secret-token"))
    }

    @Test func aFallbackIsOneLineNamingThePrimary() async throws {
        let logging = try LoggingPlugin(configuration: LoggingConfiguration(path: path))
        let primary = CountingProvider("openai", failure: BifrostError(message: "overloaded", statusCode: 503, isBifrostError: false))
        let engine = pluginEngine([primary, CountingProvider("groq")], plugins: [logging])
        _ = try await engine.complete(chat(fallbacks: [Fallback(provider: "groq", model: "llama")]), context: context())
        do {
            // Every fallback unusable (not configured): the held-back failure is written when the request ends.
            _ = try? await engine.complete(chat(text: "2", fallbacks: [Fallback(provider: "nowhere", model: "x")]), context: context())
        }
        await engine.shutdown()
        let lines = logLines(path)
        try #require(lines.count == 2)
        let fallback = try #require(lines.first { $0["provider"] as? String == "groq" })
        #expect(fallback["fallback"] as? Bool == true)
        #expect(fallback["primary_provider"] as? String == "openai")
        #expect(fallback["status"] as? Int == 200)
        let failed = try #require(lines.first { $0["status"] as? Int == 503 })
        #expect(failed["fallback"] as? Bool == false)
        #expect(failed["error"] as? String == "overloaded")
    }

    @Test func aSlowDiskNeverSlowsRequestsAndNothingIsLostOnShutdown() async throws {
        let logging = try LoggingPlugin(configuration: LoggingConfiguration(path: path),
                                        beforeEachWrite: { usleep(50_000) })  // 50 ms per line
        let engine = pluginEngine([CountingProvider()], plugins: [logging])
        let started = ContinuousClock.now
        for index in 0..<20 { _ = try await engine.complete(chat(text: "\(index)"), context: context()) }
        let elapsed = ContinuousClock.now - started
        #expect(elapsed < .milliseconds(500), "20 requests took \(elapsed) behind a 50 ms/line disk")
        await engine.shutdown()
        #expect(logLines(path).count == 20)
    }

    @Test func filesRotateBySize() async throws {
        let logging = try LoggingPlugin(configuration: LoggingConfiguration(path: path, maxFileBytes: 2048, maxFiles: 2))
        let engine = pluginEngine([CountingProvider()], plugins: [logging])
        for index in 0..<60 { _ = try await engine.complete(chat(text: "\(index)"), context: context()) }
        await engine.shutdown()
        let manager = FileManager.default
        #expect(manager.fileExists(atPath: path + ".1"))
        #expect(manager.fileExists(atPath: path + ".2"))
        #expect(!manager.fileExists(atPath: path + ".3"))
        for file in [path, path + ".1", path + ".2"] {
            let size = (try manager.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
            #expect(size <= 2048 && size > 0, "\(file): \(size) bytes")
        }
        #expect(logLines(path + ".1").count > 0)
    }

    @Test func cacheStatusIsLogged() async throws {
        let logging = try LoggingPlugin(configuration: LoggingConfiguration(path: path))
        let engine = pluginEngine([CountingProvider()], plugins: [logging, try CachePlugin()])
        _ = try await engine.complete(chat(), context: context())
        _ = try await engine.complete(chat(), context: context())
        await engine.shutdown()
        #expect(logLines(path).map { $0["cache"] as? String } == ["miss", "hit"])
    }

    @Test func configurationDefaultsAndErrors() throws {
        let defaults = try LoggingConfiguration(json: .object([:]))
        #expect(defaults.path == "logs/bifrost-requests.log")
        #expect(defaults.maxFileBytes == 100 * 1024 * 1024)
        #expect(defaults.maxFiles == 5)
        #expect(defaults.includeBodies == false)
        #expect(defaults.bufferRecords == 10_000)
        for (json, path) in [(#"{"max_file_bytes": 10}"#, "max_file_bytes"), (#"{"include_bodies": "yes"}"#, "include_bodies"),
                             (#"{"path": ""}"#, "config.path"), (#"{"file": "x"}"#, "config.file")] {
            #expect { try LoggingConfiguration(json: try JSONParser.parse(Array(json.utf8))) } throws: { "\($0)".contains(path) }
        }
        #expect { try LoggingPlugin(configuration: LoggingConfiguration(path: "/proc/forbidden/x.log")) } throws: {
            "\($0)".contains("cannot open /proc/forbidden/x.log")
        }
    }
}

extension LivePluginGatewayTests {
    @Suite("logging plugin over HTTP")
    struct LoggingGatewayTests {
        @Test func gatewayRequestsAreLoggedAndFlushedOnStop() throws {
            let path = temporaryDirectory() + "/gateway.log"
            let auth = AuthPlugin(keys: [VirtualKey(name: "team-a", value: "vk-http-secret")])
            let gateway = try PluginGateway(plugins: [try LoggingPlugin(configuration: LoggingConfiguration(path: path)), auth])
            let ok = try gateway.post("/v1/chat/completions", #"{"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}"#,
                                      headers: [("Authorization", "Bearer vk-http-secret"), ("X-Request-ID", "abc-1")])
            #expect(ok.status == 200)
            let stream = try gateway.post("/v1/chat/completions", #"{"model": "openai/gpt-4o-mini", "stream": true, "messages": [{"role": "user", "content": "hi"}]}"#,
                                          headers: [("x-bf-vk", "vk-http-secret")])
            #expect(stream.status == 200)
            gateway.stop()
            let lines = logLines(path)
            try #require(lines.count == 2)
            #expect(lines[0]["request_id"] as? String == "abc-1")
            #expect(lines[0]["virtual_key"] as? String == "team-a")
            #expect(lines[0]["status"] as? Int == 200)
            #expect(((lines[0]["usage"] as? [String: Any])?["total_tokens"] as? Int ?? 0) > 0)
            #expect(lines[1]["stream"] as? Bool == true)
            let raw = try String(contentsOfFile: path, encoding: .utf8)
            #expect(!raw.contains("vk-http-secret") && !raw.contains("sk-upstream"))
        }
    }
}
