import AuthPlugin
import BifrostCore
import BifrostPluginKit
import Testing

@Suite("auth plugin")
struct AuthPluginTests {
    let plugin = try! AuthPlugin(config: try! JSONParser.parse(Array("""
        {"keys": [{"name": "team-a", "value": "vk-team-a", "models": ["openai/*", "anthropic/claude-*"]},
                  {"name": "team-b", "value": "vk-team-b"}]}
        """.utf8)))

    @Test(arguments: [("x-bf-vk", "vk-team-a"), ("Authorization", "Bearer vk-team-a"), ("authorization", "bearer  vk-team-a"),
                      ("x-api-key", "vk-team-a")])
    func keyIsReadFromEachHeader(_ header: String, _ value: String) async throws {
        let context = context([(header, value)])
        let (_, shortCircuit) = try await plugin.preHook(context, chat())
        #expect(shortCircuit == nil)
        #expect(context.value(AuthPlugin.virtualKeyContextKey, as: String.self) == "team-a")
        #expect(context.value("bifrost.virtual_key", as: String.self) == "team-a")
    }

    @Test func missingKeyIs401WithoutFallbacks() async throws {
        let (_, shortCircuit) = try await plugin.preHook(context(), chat())
        let error = try #require(shortCircuit?.error)
        #expect(error.statusCode == 401)
        #expect(error.allowFallbacks == false)
        #expect(error.error.code == "missing_virtual_key")
    }

    @Test(arguments: ["vk-team-c", "vk-team-", "vk-team-aa", "", "VK-TEAM-A"])
    func unknownKeyIs401(_ presented: String) async throws {
        let context = context([("x-bf-vk", presented), ("Authorization", "Basic dXNlcjpwYXNz")])
        let (_, shortCircuit) = try await plugin.preHook(context, chat())
        let error = try #require(shortCircuit?.error)
        #expect(error.statusCode == 401)
        #expect(error.allowFallbacks == false)
        #expect(!error.error.message.contains(presented) || presented.isEmpty)
        #expect(context.value(AuthPlugin.virtualKeyContextKey, as: String.self) == nil)
    }

    @Test func modelsAreMatchedAsGlobsOnProviderSlashModel() async throws {
        for (provider, model, allowed) in [("openai", "gpt-4o", true), ("anthropic", "claude-3-5-sonnet", true),
                                           ("anthropic", "haiku", false), ("groq", "llama", false), ("openaix", "m", false)] {
            let (_, shortCircuit) = try await plugin.preHook(context([("x-bf-vk", "vk-team-a")]), chat(provider, model))
            if allowed {
                #expect(shortCircuit == nil, "\(provider)/\(model)")
            } else {
                #expect(shortCircuit?.error?.statusCode == 403, "\(provider)/\(model)")
                #expect(shortCircuit?.error?.allowFallbacks == false)
            }
        }
        // A key without a models list may use every model.
        let (_, open) = try await plugin.preHook(context([("x-bf-vk", "vk-team-b")]), chat("groq", "llama"))
        #expect(open == nil)
    }

    @Test func globPatterns() {
        #expect(GlobPattern("openai/*").matches("openai/gpt-4o"))
        #expect(GlobPattern("*").matches("any/thing/at/all"))
        #expect(GlobPattern("anthropic/claude-?-*").matches("anthropic/claude-3-opus"))
        #expect(!GlobPattern("anthropic/claude-?-*").matches("anthropic/claude-35-opus"))
        #expect(GlobPattern("*/gpt-4o*").matches("azure/gpt-4o-mini"))
        #expect(!GlobPattern("openai/gpt-4o").matches("openai/gpt-4o-mini"))
        #expect(GlobPattern("a*b*c").matches("aXXbYYbZc"))
    }

    @Test func badConfigurationsAreRefusedWithTheirPath() throws {
        let cases: [(String, String)] = [
            (#"{}"#, "config.keys"),
            (#"{"keys": [{"value": "x"}]}"#, "keys[0].name"),
            (#"{"keys": [{"name": "a", "value": ""}]}"#, "keys[0].value"),
            (#"{"keys": [{"name": "a", "value": "x", "models": "openai/*"}]}"#, "keys[0].models"),
            (#"{"keys": [{"name": "a", "value": "x"}, {"name": "a", "value": "y"}]}"#, "keys[1].name"),
            (#"{"keys": [{"name": "a", "value": "x"}, {"name": "b", "value": "x"}]}"#, "keys[1].value"),
        ]
        for (json, path) in cases {
            #expect { try AuthPlugin(config: try JSONParser.parse(Array(json.utf8))) } throws: { error in
                "\(error)".contains(path)
            }
        }
    }

    @Test func throughTheEngineA401StopsFallbacksAndSkipsTheProvider() async throws {
        let primary = CountingProvider("openai"), backup = CountingProvider("groq")
        let engine = pluginEngine([primary, backup], plugins: [plugin])
        await #expect(throws: BifrostError.self) {
            _ = try await engine.complete(chat(fallbacks: [Fallback(provider: "groq", model: "llama")]), context: context())
        }
        #expect(primary.calls.value == 0)
        #expect(backup.calls.value == 0)
        let response = try await engine.complete(chat(), context: context([("Authorization", "Bearer vk-team-b")]))
        #expect(text(response) == "answer 1")
        await engine.shutdown()
    }
}

extension LivePluginGatewayTests {
    @Suite("auth plugin over HTTP")
    struct AuthGatewayTests {
        @Test func gatewayAnswers401And403AndServesAllowedKeys() throws {
            let auth = try AuthPlugin(config: try JSONParser.parse(Array(#"{"keys": [{"name": "team-a", "value": "vk-a", "models": ["openai/gpt-4o*"]}]}"#.utf8)))
            let gateway = try PluginGateway(plugins: [auth])
            defer { gateway.stop() }
            let body = #"{"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}"#
            let missing = try gateway.post("/v1/chat/completions", body)
            #expect(missing.status == 401)
            #expect(missing.bodyText.contains("missing virtual key"))
            let wrong = try gateway.post("/v1/chat/completions", body, headers: [("Authorization", "Bearer nope")])
            #expect(wrong.status == 401)
            let forbidden = try gateway.post("/v1/chat/completions", #"{"model": "openai/o1", "messages": [{"role": "user", "content": "hi"}]}"#,
                                             headers: [("x-bf-vk", "vk-a")])
            #expect(forbidden.status == 403)
            #expect(gateway.upstream.calls.value == 0)
            let ok = try gateway.post("/v1/chat/completions", body, headers: [("Authorization", "Bearer vk-a")])
            #expect(ok.status == 200)
            // The Anthropic drop-in route: the SDK sends the key as x-api-key.
            let anthropic = try gateway.post("/anthropic/v1/messages",
                                             #"{"model": "openai/gpt-4o-mini", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}"#,
                                             headers: [("x-api-key", "vk-a"), ("anthropic-version", "2023-06-01")])
            #expect(anthropic.status == 200)
            #expect(gateway.upstream.calls.value == 2)
        }
    }
}

/// Suites with live gateways run one at a time (blocking test clients).
@Suite(.serialized) enum LivePluginGatewayTests {}
