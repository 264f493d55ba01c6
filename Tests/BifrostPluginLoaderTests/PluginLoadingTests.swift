import BifrostIO
import BifrostTestSupport
import Foundation
import Testing

/// Dynamic plugins through the real `bifrost-http` executable: compiled from a local package or a
/// `file://` git repository, called end to end, found in the cache on restart; start-up errors.
/// Compiles take seconds, so every test shares one workspace and cache (see ``PluginWorkspace``).
@Suite("Plugin loading", .serialized, .enabled(if: FileManager.default.isExecutableFile(atPath: ChildProcess.gatewayBinary)))
struct PluginLoadingTests {
    /// Long enough for a cold release build of the kit and a plugin on a small machine.
    static let compileSeconds: Double = 600

    static let environment = ["BIFROST_PLUGIN_CACHE": "", "BIFROST_PLUGIN_KIT_PATH": "", "BIFROST_LOG_LEVEL": "info"]

    /// A keyless provider for requests the plugin short-circuits (never called).
    static let ollama = #"{"ollama": {"network_config": {"base_url": "http://127.0.0.1:9"}}}"#

    static func echoEntry(name: String = "echo", source: String = "./plugins/echo", config: String) -> String {
        _ = PluginWorkspace.echo
        return #"{"name": "\#(name)", "type": "local", "source": "\#(source)", "config": \#(config)}"#
    }

    static func chat(_ port: Int, model: String, tag: String) throws -> TestClient.Response {
        let client = try TestClient(port: port, timeoutSeconds: 10)
        try client.send(TestClient.request("POST", "/v1/chat/completions",
                                           body: #"{"model": "\#(model)", "messages": [{"role": "user", "content": "hi"}]}"#,
                                           headers: [("x-fixture-tag", tag)]))
        return try client.readResponse()
    }

    @Test func localPluginIsCompiledAndRunsAroundEveryRequest() throws {
        let mock = try ChildProcess(ChildProcess.mockBinary, ["-host", "127.0.0.1", "-port", "0"])
        let mockPort = try #require(mock.listeningPort(seconds: 10), "bifrost-mock did not start: \(mock.output)")
        let config = try PluginWorkspace.config(
            "local.json", plugin: Self.echoEntry(config: #"{"greeting": "hi", "short_circuit_model": "echo-model"}"#),
            providers: #"{"ollama": {"network_config": {"base_url": "http://127.0.0.1:\#(mockPort)"}}}"#)
        let gateway = try PluginWorkspace.start(config, environment: Self.environment)
        let port = try #require(gateway.listeningPort(seconds: Self.compileSeconds), "gateway did not start: \(gateway.output)")
        #expect(gateway.output.contains("plugin loaded"))

        // Short-circuited by the plugin: the provider is never called.
        let answered = try Self.chat(port, model: "ollama/echo-model", tag: "t1")
        #expect(answered.status == 200)
        #expect(answered.bodyText.contains("hi from the echo plugin"))
        #expect(answered.header("x-echo-greeting") == "hi")
        #expect(answered.header("x-echo-tag") == "t1")

        // Passed through to the mock provider; the PostHook still sees the PreHook's context value.
        let forwarded = try Self.chat(port, model: "ollama/llama3", tag: "t2")
        #expect(forwarded.status == 200, "\(forwarded.bodyText)")
        #expect(!forwarded.bodyText.contains("echo plugin"))
        #expect(forwarded.header("x-echo-tag") == "t2")
        gateway.stop()
        #expect(gateway.exitStatus == 0)
    }

    @Test func restartWithUnchangedSourcesLoadsFromTheCacheWithoutCompiling() throws {
        let config = try PluginWorkspace.config("cached.json", plugin: Self.echoEntry(config: #"{"short_circuit_model": "m"}"#),
                                                providers: Self.ollama)
        let first = try PluginWorkspace.start(config, environment: Self.environment)
        _ = try #require(first.listeningPort(seconds: Self.compileSeconds), "gateway did not start: \(first.output)")
        first.stop()

        let started = Date()
        let second = try PluginWorkspace.start(config, environment: Self.environment)
        let port = try #require(second.listeningPort(seconds: 30), "gateway did not start: \(second.output)")
        let elapsed = Date().timeIntervalSince(started)
        #expect(second.output.contains("plugin cache hit"))
        #expect(!second.output.contains("compiling plugin"))
        #expect(!second.output.contains("swift build"))
        #expect(elapsed < 5, "a cached start took \(elapsed) s")
        #expect(try Self.chat(port, model: "ollama/m", tag: "c").bodyText.contains("from the echo plugin"))
    }

    @Test func remotePluginIsFetchedFromAGitRepositoryAtATag() throws {
        let repository = PluginWorkspace.remoteRepository
        let entry = #"{"name": "remote-echo", "type": "remote", "source": "file://\#(repository)//plugins/echo", "version": "1.0.0", "config": {"greeting": "remote", "short_circuit_model": "r"}}"#
        let config = try PluginWorkspace.config("remote.json", plugin: entry, providers: Self.ollama)
        let gateway = try PluginWorkspace.start(config, environment: Self.environment)
        let port = try #require(gateway.listeningPort(seconds: Self.compileSeconds), "gateway did not start: \(gateway.output)")
        #expect(gateway.output.contains("fetching plugin"))
        let response = try Self.chat(port, model: "ollama/r", tag: "x")
        #expect(response.bodyText.contains("remote from the echo plugin"))
        gateway.stop()

        // Restart: the checkout and the build are both reused, no git and no compiler.
        let again = try PluginWorkspace.start(config, environment: Self.environment)
        _ = try #require(again.listeningPort(seconds: 30), "gateway did not start: \(again.output)")
        #expect(!again.output.contains("fetching plugin"))
        #expect(again.output.contains("plugin cache hit"))
    }
}
