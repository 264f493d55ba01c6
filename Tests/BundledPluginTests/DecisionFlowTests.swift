import AuthPlugin
import BifrostCore
import BifrostPluginKit
import CachePlugin
import LoggingPlugin
import Testing

/// The seed's "Complex Plugin Decision Flow" with the bundled plugins in one chain:
/// auth → cache → provider, PostHooks in reverse order.
@Suite("decision flow: auth → cache → provider")
struct DecisionFlowTests {
    let log = FlowLog()
    let auth = AuthPlugin(keys: [VirtualKey(name: "team-a", value: "vk-a", models: ["openai/*"])])

    func engine(_ providers: [CountingProvider]) throws -> Bifrost {
        pluginEngine(providers, plugins: [Traced(auth, log), Traced(try CachePlugin(), log)])
    }

    @Test func missGoesToTheProviderAndPostHooksRunInReverse() async throws {
        let provider = CountingProvider(log: log)
        let engine = try engine([provider])
        let response = try await engine.complete(chat(), context: context([("x-bf-vk", "vk-a")]))
        #expect(text(response) == "answer 1")
        #expect(log.all == ["pre:auth", "pre:cache", "provider:openai", "post:cache", "post:auth"])
        await engine.shutdown()
    }

    @Test func hitSkipsTheProviderAndStillRunsEveryPostHook() async throws {
        let provider = CountingProvider(log: log)
        let engine = try engine([provider])
        _ = try await engine.complete(chat(), context: context([("x-bf-vk", "vk-a")]))
        let hitContext = context([("x-bf-vk", "vk-a")])
        let hit = try await engine.complete(chat(), context: hitContext)
        #expect(text(hit) == "answer 1")
        #expect(provider.calls.value == 1)
        #expect(Array(log.all.suffix(4)) == ["pre:auth", "pre:cache", "post:cache", "post:auth"])
        #expect(hitContext.value("bifrost.virtual_key", as: String.self) == "team-a")
        #expect(hitContext.value(CachePlugin.statusContextKey, as: String.self) == "hit")
        await engine.shutdown()
    }

    @Test func unauthenticatedStopsAtAuthWithoutFallbacksOrCache() async throws {
        let provider = CountingProvider(log: log), backup = CountingProvider("groq", log: log)
        let engine = try engine([provider, backup])
        let request = chat(fallbacks: [Fallback(provider: "groq", model: "llama")])
        await #expect { _ = try await engine.complete(request, context: context()) } throws: { error in
            (error as? BifrostError)?.statusCode == 401
        }
        #expect(log.all == ["pre:auth", "post:auth"])
        // A model the key may not use is a 403, also without fallbacks.
        await #expect { _ = try await engine.complete(chat("groq", "llama"), context: context([("x-bf-vk", "vk-a")])) } throws: { error in
            (error as? BifrostError)?.statusCode == 403
        }
        #expect(provider.calls.value == 0 && backup.calls.value == 0)
        await engine.shutdown()
    }

    @Test func providerFailureFallsBackAndTheFallbacksAnswerIsCachedUnderItsOwnKey() async throws {
        let failing = CountingProvider(failure: BifrostError(message: "down", statusCode: 503, isBifrostError: false), log: log)
        let backup = CountingProvider("groq", log: log)
        let engine = pluginEngine([failing, backup], plugins: [
            Traced(AuthPlugin(keys: [VirtualKey(name: "team-a", value: "vk-a")]), log), Traced(try CachePlugin(), log),
        ])
        let request = chat(fallbacks: [Fallback(provider: "groq", model: "llama")])
        let response = try await engine.complete(request, context: context([("x-bf-vk", "vk-a")]))
        #expect(response.extraFields.provider == "groq")
        #expect(log.all == ["pre:auth", "pre:cache", "provider:openai", "post:cache", "post:auth",
                            "pre:auth", "pre:cache", "provider:groq", "post:cache", "post:auth"])
        // The primary's error was not cached: the next request tries it again, then hits the fallback's entry.
        _ = try await engine.complete(request, context: context([("x-bf-vk", "vk-a")]))
        #expect(failing.calls.value == 2)
        #expect(backup.calls.value == 1)
        await engine.shutdown()
    }
}

extension LivePluginGatewayTests {
    @Suite("decision flow over HTTP")
    struct DecisionFlowGatewayTests {
        @Test func authThenCacheInOneGateway() throws {
            let path = temporaryDirectory() + "/flow.log"
            let gateway = try PluginGateway(plugins: [
                try LoggingPlugin(configuration: LoggingConfiguration(path: path)),
                AuthPlugin(keys: [VirtualKey(name: "team-a", value: "vk-a")]),
                try CachePlugin(),
            ])
            let body = #"{"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "flow"}]}"#
            #expect(try gateway.post("/v1/chat/completions", body).status == 401)
            let miss = try gateway.post("/v1/chat/completions", body, headers: [("x-bf-vk", "vk-a")])
            let hit = try gateway.post("/v1/chat/completions", body, headers: [("x-bf-vk", "vk-a")])
            #expect(miss.header("x-bf-cache") == "miss")
            #expect(hit.header("x-bf-cache") == "hit")
            #expect(gateway.upstream.calls.value == 1)
            gateway.stop()
            let lines = logLines(path)
            #expect(lines.map { $0["status"] as? Int } == [401, 200, 200])
            #expect(lines.map { $0["cache"] as? String } == [nil, "miss", "hit"])
            #expect(lines.map { $0["virtual_key"] as? String } == [nil, "team-a", "team-a"])
        }
    }
}
