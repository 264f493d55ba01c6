import BifrostCore
import BifrostPluginKit
import RateLimitPlugin
import Synchronization
import Testing

/// A clock the test moves by hand (seconds).
final class ManualClock: Sendable {
    private let seconds = Mutex<Double>(1000)
    var now: Double { seconds.withLock { $0 } }
    func advance(_ delta: Double) { seconds.withLock { $0 += delta } }
    var function: @Sendable () -> Double { { self.now } }
}

/// A rate limit plugin over a memory store on `clock`.
func rateLimiter(_ json: String, clock: ManualClock = ManualClock()) throws -> (RateLimitPlugin, MemoryRateLimitStore) {
    let configuration = try RateLimitConfiguration(json: try JSONParser.parse(Array(json.utf8)))
    let store = MemoryRateLimitStore(clock: clock.function)
    return (try RateLimitPlugin(configuration: configuration, store: store), store)
}

/// True when `value` is within a millionth of `expected`.
func approximately(_ value: Double?, _ expected: Double) -> Bool {
    guard let value else { return false }
    return abs(value - expected) < 1e-6
}

/// A context as the auth plugin leaves it for `virtualKey`.
func keyContext(_ virtualKey: String?) -> BifrostContext {
    let context = BifrostContext()
    if let virtualKey { context.set("bifrost.virtual_key", virtualKey) }
    return context
}

@Suite("ratelimit plugin")
struct RateLimitPluginTests {
    @Test func bucketMaths() {
        var bucket = TokenBucket(perMinute: 60, now: 0)
        #expect(bucket.tokens == 60 && bucket.rate == 1)
        bucket.take(60)
        #expect(bucket.wait == 1)
        bucket.refill(now: 0.5)
        #expect(bucket.tokens == 0.5)
        #expect(bucket.wait == 0.5)
        bucket.refill(now: 1000)
        #expect(bucket.tokens == 60)  // never beyond capacity
        bucket.take(90)
        #expect(bucket.wait == 31)  // in debt: back to one token after 31 s
        bucket.refill(now: 900)  // a clock going back adds nothing
        #expect(bucket.tokens == -30)
        #expect(!bucket.isFull(at: 1000) && bucket.isFull(at: 1090))
    }

    @Test func requestsPerMinuteWithRetryAfterFromTheInjectedClock() async throws {
        let clock = ManualClock()
        let (plugin, _) = try rateLimiter(#"{"rules": [{"requests_per_minute": 3}]}"#, clock: clock)
        for _ in 0..<3 {
            let (_, shortCircuit) = try await plugin.preHook(keyContext(nil), chat())
            #expect(shortCircuit == nil)
        }
        let (_, limited) = try await plugin.preHook(keyContext(nil), chat())
        let error = try #require(limited?.error)
        #expect(error.statusCode == 429)
        #expect(approximately(error.retryAfter, 20))  // 3 per minute: one every 20 s
        #expect(error.allowFallbacks == nil)
        #expect(error.error.code == "rate_limit_exceeded")
        #expect(error.error.message.contains("3 requests per minute"))
        clock.advance(15)
        #expect(approximately(try await plugin.preHook(keyContext(nil), chat()).1?.error?.retryAfter, 5))
        clock.advance(5)
        #expect(try await plugin.preHook(keyContext(nil), chat()).1 == nil)
        #expect(try await plugin.preHook(keyContext(nil), chat()).1 != nil)
    }

    @Test func tokensAreCountedFromTheResponseUsage() async throws {
        let clock = ManualClock()
        let (plugin, store) = try rateLimiter(#"{"rules": [{"scope": ["virtual_key"], "tokens_per_minute": 600}]}"#, clock: clock)
        let context = keyContext("team-a")
        #expect(try await plugin.preHook(context, chat()).1 == nil)
        let usage = Usage(promptTokens: 500, completionTokens: 200)
        _ = try await plugin.postHook(context, response(usage: usage), nil)
        let bucket = try #require(store.bucket("rule0:virtual_key=team-a:tokens"))
        #expect(approximately(bucket.tokens, -100))
        // 600 per minute = 10 per second: one token back after 10.1 s.
        let limited = try #require(try await plugin.preHook(keyContext("team-a"), chat()).1?.error)
        #expect(approximately(limited.retryAfter, 10.1))
        #expect(limited.error.message.contains("600 tokens per minute"))
        #expect(limited.error.message.contains("virtual_key=team-a"))
        // Another key has its own bucket.
        #expect(try await plugin.preHook(keyContext("team-b"), chat()).1 == nil)
        clock.advance(10.1)
        #expect(try await plugin.preHook(keyContext("team-a"), chat()).1 == nil)
    }

    @Test func errorsCacheHitsAndDeniedRequestsCostNoTokens() async throws {
        let (plugin, store) = try rateLimiter(#"{"rules": [{"tokens_per_minute": 100}]}"#)
        let key = "rule0:*:tokens"
        let failed = keyContext(nil)
        _ = try await plugin.preHook(failed, chat())
        _ = try await plugin.postHook(failed, nil, BifrostError(message: "upstream down", statusCode: 502))
        let cached = keyContext(nil)
        _ = try await plugin.preHook(cached, chat())
        cached.set("bifrost.cache", "hit")
        _ = try await plugin.postHook(cached, response(usage: Usage(promptTokens: 50, completionTokens: 50)), nil)
        #expect(approximately(store.bucket(key)?.tokens ?? 100, 100))
        let served = keyContext(nil)
        _ = try await plugin.preHook(served, chat())
        _ = try await plugin.postHook(served, response(usage: Usage(promptTokens: 100, completionTokens: 0)), nil)
        #expect(approximately(store.bucket(key)?.tokens, 0))
        // The PostHook after this plugin's own 429 debits nothing either.
        let denied = keyContext(nil)
        #expect(try await plugin.preHook(denied, chat()).1?.error?.statusCode == 429)
        _ = try await plugin.postHook(denied, response(usage: Usage(promptTokens: 10, completionTokens: 0)), nil)
        #expect(approximately(store.bucket(key)?.tokens, 0))
    }

    @Test func scopesKeepSeparateBuckets() async throws {
        let (plugin, _) = try rateLimiter(#"{"rules": [{"scope": ["virtual_key", "model"], "requests_per_minute": 1}]}"#)
        #expect(try await plugin.preHook(keyContext("team-a"), chat("openai", "gpt-4o")).1 == nil)
        #expect(try await plugin.preHook(keyContext("team-a"), chat("openai", "gpt-4o")).1?.error?.statusCode == 429)
        // Same key, other model; other key, same model; no key at all: each its own bucket.
        #expect(try await plugin.preHook(keyContext("team-a"), chat("openai", "gpt-4o-mini")).1 == nil)
        #expect(try await plugin.preHook(keyContext("team-b"), chat("openai", "gpt-4o")).1 == nil)
        #expect(try await plugin.preHook(keyContext(nil), chat("openai", "gpt-4o")).1 == nil)
        #expect(try await plugin.preHook(keyContext(nil), chat("openai", "gpt-4o")).1 != nil)
        // The model bucket is shared across providers unless the scope names the provider.
        #expect(try await plugin.preHook(keyContext("team-b"), chat("azure", "gpt-4o")).1 != nil)
    }

    @Test func everyMatchingRuleMustAdmitAndNothingIsTakenOnDenial() async throws {
        let (plugin, store) = try rateLimiter("""
            {"rules": [{"name": "per-key", "scope": ["virtual_key"], "requests_per_minute": 10},
                       {"name": "openai-total", "match": {"providers": ["openai"]}, "requests_per_minute": 2},
                       {"name": "gpt4", "match": {"models": ["openai/gpt-4*"]}, "scope": ["model"], "requests_per_minute": 100}]}
            """)
        for _ in 0..<2 { #expect(try await plugin.preHook(keyContext("a"), chat("openai", "gpt-4o")).1 == nil) }
        let denied = try #require(try await plugin.preHook(keyContext("a"), chat("openai", "gpt-4o")).1?.error)
        #expect(denied.error.message.contains("rule \"openai-total\""))
        #expect(approximately(store.bucket("per-key:virtual_key=a:requests")?.tokens, 8))  // not taken by the denied request
        #expect(approximately(store.bucket("gpt4:model=gpt-4o:requests")?.tokens, 98))
        // Rules that do not match leave other providers alone.
        #expect(try await plugin.preHook(keyContext("a"), chat("groq", "llama")).1 == nil)
        #expect(plugin.buckets(virtualKey: "a", provider: "groq", model: "llama").map(\.key) == ["per-key:virtual_key=a:requests"])
        #expect(plugin.buckets(virtualKey: nil, provider: "anthropic", model: "gpt-4o").count == 1)
    }

    @Test func matchBySelectsVirtualKeys() async throws {
        let (plugin, _) = try rateLimiter(#"{"rules": [{"match": {"virtual_keys": ["free-*"]}, "scope": ["virtual_key"], "requests_per_minute": 1}]}"#)
        #expect(try await plugin.preHook(keyContext("free-1"), chat()).1 == nil)
        #expect(try await plugin.preHook(keyContext("free-1"), chat()).1 != nil)
        for _ in 0..<5 { #expect(try await plugin.preHook(keyContext("paid-1"), chat()).1 == nil) }
        #expect(try await plugin.preHook(keyContext(nil), chat()).1 == nil)  // no key: "" does not match free-*
    }

    @Test func throughTheEngineA429LetsTheFallbackServe() async throws {
        let openai = CountingProvider("openai")
        let anthropic = CountingProvider("anthropic")
        let (plugin, _) = try rateLimiter(#"{"rules": [{"scope": ["provider"], "match": {"providers": ["openai"]}, "requests_per_minute": 1}]}"#)
        let engine = pluginEngine([openai, anthropic], plugins: [plugin])
        let request = chat("openai", "gpt-4o-mini", fallbacks: [Fallback(provider: "anthropic", model: "claude")])
        _ = try await engine.complete(request, context: keyContext(nil))
        let second = try await engine.complete(request, context: keyContext(nil))
        #expect(second.extraFields.provider == "anthropic")
        #expect(openai.calls.value == 1 && anthropic.calls.value == 1)
        // Without a fallback the 429 reaches the caller with its Retry-After.
        do {
            _ = try await engine.complete(chat("openai", "gpt-4o-mini"), context: keyContext(nil))
            Issue.record("expected a 429")
        } catch {
            #expect(error.httpStatus == 429)
            #expect(approximately(error.retryAfter, 60))
        }
        await engine.shutdown(gracePeriod: .seconds(1))
    }

    @Test func configurationAndItsErrors() throws {
        let full = try RateLimitConfiguration(json: try JSONParser.parse(Array("""
            {"rules": [{"name": "r", "scope": ["virtual_key", "provider", "model"], "requests_per_minute": 60,
                        "tokens_per_minute": 100000, "match": {"providers": ["openai"], "models": ["gpt-*"], "virtual_keys": ["a"]}}],
             "backend": "redis", "redis": {"url": "redis://127.0.0.1:6379/1", "prefix": "bf:", "pool_size": 2, "timeout_ms": 250},
             "on_redis_error": "deny"}
            """.utf8)))
        #expect(full.rules == [RateLimitRule(name: "r", scope: [.virtualKey, .provider, .model], requestsPerMinute: 60,
                                             tokensPerMinute: 100_000,
                                             match: RateLimitMatch(virtualKeys: ["a"], providers: ["openai"], models: ["gpt-*"]))])
        #expect(full.backend == .redis(url: "redis://127.0.0.1:6379/1", prefix: "bf:", poolSize: 2, timeout: 0.25))
        #expect(!full.allowOnBackendError)
        let defaults = try RateLimitConfiguration(json: try JSONParser.parse(Array(#"{"rules": [{"requests_per_minute": 5}], "backend": "redis", "redis": {"url": "redis://h"}}"#.utf8)))
        #expect(defaults.backend == .redis(url: "redis://h", prefix: "bifrost:", poolSize: 4, timeout: 0.5))
        #expect(defaults.allowOnBackendError)
        #expect(defaults.rules[0].name == "rule0" && defaults.rules[0].scope.isEmpty)

        let failures: [(String, String)] = [
            (#"{}"#, "config.rules: at least one rule"),
            (#"{"rules": [{}]}"#, "config.rules[0]: set requests_per_minute"),
            (#"{"rules": [{"requests_per_minute": 0}]}"#, "config.rules[0].requests_per_minute: expected a positive number"),
            (#"{"rules": [{"requests_per_minute": "10"}]}"#, "config.rules[0].requests_per_minute: expected a number"),
            (#"{"rules": [{"requests_per_minute": 1, "scope": ["team"]}]}"#, "config.rules[0].scope[0]"),
            (#"{"rules": [{"requests_per_minute": 1, "scope": ["model", "model"]}]}"#, "repeated"),
            (#"{"rules": [{"requests_per_minute": 1, "limit": 3}]}"#, "config.rules[0].limit: unknown key"),
            (#"{"rules": [{"name": "x", "requests_per_minute": 1}, {"name": "x", "tokens_per_minute": 1}]}"#, "duplicate rule name"),
            (#"{"rules": [{"requests_per_minute": 1}], "backend": "disk"}"#, "config.backend"),
            (#"{"rules": [{"requests_per_minute": 1}], "backend": "redis"}"#, "config.redis: required"),
            (#"{"rules": [{"requests_per_minute": 1}], "backend": "redis", "redis": {}}"#, "config.redis.url: required"),
            (#"{"rules": [{"requests_per_minute": 1}], "on_redis_error": "maybe"}"#, "config.on_redis_error"),
            (#"{"rules": [{"requests_per_minute": 1, "match": {"models": [1]}}]}"#, "config.rules[0].match.models[0]"),
        ]
        for (json, expected) in failures {
            do {
                _ = try RateLimitConfiguration(json: try JSONParser.parse(Array(json.utf8)))
                Issue.record("accepted \(json)")
            } catch {
                #expect("\(error)".contains(expected), "\(json): \(error)")
            }
        }
    }

    @Test func initFromJSONBuildsAMemoryStore() throws {
        let plugin = try RateLimitPlugin(config: try JSONParser.parse(Array(#"{"rules": [{"requests_per_minute": 1}]}"#.utf8)))
        #expect(plugin.name == "ratelimit")
        #expect(plugin.store is MemoryRateLimitStore)
    }

    @Test func idleFullBucketsAreForgotten() async throws {
        let clock = ManualClock()
        let (plugin, store) = try rateLimiter(#"{"rules": [{"scope": ["virtual_key"], "requests_per_minute": 60}]}"#, clock: clock)
        for index in 0..<100 { _ = try await plugin.preHook(keyContext("key-\(index)"), chat()) }
        #expect(store.bucketCount == 100)
        clock.advance(0.5)
        store.sweep()
        #expect(store.bucketCount == 100)
        clock.advance(0.5)
        store.sweep()
        #expect(store.bucketCount == 0)
    }

    private func response(usage: Usage) -> BifrostResponse {
        BifrostResponse(id: "r", object: "chat.completion", created: 1, model: "m", usage: usage,
                        extraFields: ExtraFields(provider: "openai", model: "m"))
    }
}
