import BifrostIO
import BifrostPluginKit
import BifrostRedis
import BifrostTestSupport
import RateLimitPlugin
import Testing

/// Event loops for the rate limit tests' Redis clients, alive for the whole test run (a replica each).
enum RateLimitTestLoops {
    static let replicaA = try! EventLoopGroup(loopCount: 1, name: "ratelimit-a")
    static let replicaB = try! EventLoopGroup(loopCount: 1, name: "ratelimit-b")
}

/// A rate limit plugin with the Redis backend on its own client, standing in for one gateway replica.
func redisRateLimiter(_ rules: String, server: TestRedisServer, group: EventLoopGroup = RateLimitTestLoops.replicaA,
                      onRedisError: String = "allow", prefix: String = "test:", timeout: Double = 1) throws -> RateLimitPlugin {
    let json = #"{"rules": \#(rules), "backend": "redis", "redis": {"url": "\#(server.url())", "prefix": "\#(prefix)"}, "on_redis_error": "\#(onRedisError)"}"#
    let configuration = try RateLimitConfiguration(json: try JSONParser.parse(Array(json.utf8)))
    let client = try EventLoopRedisClient(configuration: RedisConfiguration(url: server.url(), poolSize: 2, timeout: timeout),
                                          group: group)
    return try RateLimitPlugin(configuration: configuration, store: RedisRateLimitStore(client: client, prefix: prefix))
}

@Suite("ratelimit plugin with the Redis backend", .serialized)
struct RateLimitRedisTests {
    @Test func requestsPerMinuteInRedis() async throws {
        let server = try TestRedisServer()
        let plugin = try redisRateLimiter(#"[{"scope": ["virtual_key"], "requests_per_minute": 3}]"#, server: server)
        defer { Task { try? await plugin.cleanup() } }
        for _ in 0..<3 { #expect(try await plugin.preHook(keyContext("a"), chat()).1 == nil) }
        let limited = try #require(try await plugin.preHook(keyContext("a"), chat()).1?.error)
        #expect(limited.statusCode == 429)
        #expect(limited.allowFallbacks == nil)
        let retryAfter = try #require(limited.retryAfter)
        #expect(retryAfter > 19 && retryAfter <= 20.001)
        #expect(try await plugin.preHook(keyContext("b"), chat()).1 == nil)
        // The bucket is a hash under the prefix, with an expiry.
        let probe = try EventLoopRedisClient(configuration: RedisConfiguration(url: server.url()), group: RateLimitTestLoops.replicaB)
        let ttl = try await probe.send(["PTTL", "test:ratelimit:rule0:virtual_key=a:requests"]).int ?? -1
        #expect(ttl > 1000 && ttl <= 61_000)
        await probe.close()
    }

    @Test func tokensPerMinuteInRedis() async throws {
        let server = try TestRedisServer()
        let plugin = try redisRateLimiter(#"[{"tokens_per_minute": 1000}]"#, server: server)
        defer { Task { try? await plugin.cleanup() } }
        let context = keyContext(nil)
        #expect(try await plugin.preHook(context, chat()).1 == nil)
        let response = BifrostResponse(id: "r", object: "chat.completion", created: 1, model: "m",
                                       usage: Usage(promptTokens: 1000, completionTokens: 500),
                                       extraFields: ExtraFields(provider: "openai", model: "m"))
        _ = try await plugin.postHook(context, response, nil)
        await plugin.waitForDebits()  // the Redis debit runs after the response
        let limited = try #require(try await plugin.preHook(keyContext(nil), chat()).1?.error)
        // 501 tokens short at 1000 per minute: about 30 s.
        let retryAfter = try #require(limited.retryAfter)
        #expect(retryAfter > 29 && retryAfter < 31)
        #expect(limited.error.message.contains("1000 tokens per minute"))
    }

    @Test func tokenDebitsRunAfterTheResponseInsteadOfHoldingIt() async throws {
        let server = try TestRedisServer()
        let plugin = try redisRateLimiter(#"[{"tokens_per_minute": 1000}]"#, server: server, timeout: 1)
        let context = keyContext(nil)
        #expect(try await plugin.preHook(context, chat()).1 == nil)
        let probe = try EventLoopRedisClient(configuration: RedisConfiguration(url: server.url()), group: RateLimitTestLoops.replicaB)
        _ = try await probe.send(["CLIENT", "PAUSE", "3000", "ALL"])
        // Redis answers nothing for 3 s. A PostHook that waited for the debit would come back only
        // after the 1 s timeout, with the failure already counted.
        let response = BifrostResponse(id: "r", object: "chat.completion", created: 1, model: "m",
                                       usage: Usage(promptTokens: 10, completionTokens: 5),
                                       extraFields: ExtraFields(provider: "openai", model: "m"))
        _ = try await plugin.postHook(context, response, nil)
        #expect(plugin.backendFailureCount == 0)
        await plugin.waitForDebits()
        #expect(plugin.backendFailureCount == 1, "the debit was still sent, and timed out while Redis was paused")
        await probe.close()
        try await plugin.cleanup()
    }

    @Test func twoReplicasSharingRedisEnforceOneCombinedLimit() async throws {
        let server = try TestRedisServer()
        let rules = #"[{"scope": ["virtual_key"], "requests_per_minute": 10}]"#
        let replicaA = try redisRateLimiter(rules, server: server, group: RateLimitTestLoops.replicaA)
        let replicaB = try redisRateLimiter(rules, server: server, group: RateLimitTestLoops.replicaB)
        defer { Task { try? await replicaA.cleanup(); try? await replicaB.cleanup() } }
        // Alternating replicas: ten admitted in all, not ten each.
        var admitted = 0
        for index in 0..<20 {
            let plugin = index % 2 == 0 ? replicaA : replicaB
            if try await plugin.preHook(keyContext("shared"), chat()).1 == nil { admitted += 1 }
        }
        #expect(admitted == 10)
        // Concurrent bursts from both replicas: the Lua script admits exactly the limit.
        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<60 {
                let plugin = index % 2 == 0 ? replicaA : replicaB
                group.addTask { try await plugin.preHook(keyContext("burst"), chat()).1 == nil }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.filter { $0 }.count == 10)
    }

    @Test func redisKilledFailOpenAllowsAndRecovers() async throws {
        let server = try TestRedisServer()
        let plugin = try redisRateLimiter(#"[{"requests_per_minute": 2}]"#, server: server, onRedisError: "allow", timeout: 2)
        defer { Task { try? await plugin.cleanup() } }
        for _ in 0..<2 { #expect(try await plugin.preHook(keyContext(nil), chat()).1 == nil) }
        #expect(try await plugin.preHook(keyContext(nil), chat()).1?.error?.statusCode == 429)
        server.kill()
        for _ in 0..<10 {
            let started = nowMilliseconds()
            #expect(try await plugin.preHook(keyContext(nil), chat()).1 == nil, "fail-open lets requests through")
            #expect(nowMilliseconds() - started < 500, "fails fast, never waits for the 2 s timeout")
        }
        #expect(plugin.backendFailureCount >= 10)
        // Back with an empty Redis: limits apply again once the client reconnects.
        try server.start()
        var statuses: [Int?] = []
        for _ in 0..<100 where statuses.filter({ $0 == 429 }).isEmpty {
            statuses.append(try await plugin.preHook(keyContext(nil), chat()).1?.error?.statusCode)
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(statuses.contains(429))
    }

    @Test func redisKilledFailClosedDenies() async throws {
        let server = try TestRedisServer()
        let plugin = try redisRateLimiter(#"[{"requests_per_minute": 100}]"#, server: server, onRedisError: "deny", timeout: 2)
        defer { Task { try? await plugin.cleanup() } }
        #expect(try await plugin.preHook(keyContext(nil), chat()).1 == nil)
        server.kill()
        for _ in 0..<5 {
            let started = nowMilliseconds()
            let error = try #require(try await plugin.preHook(keyContext(nil), chat()).1?.error)
            #expect(error.statusCode == 503)
            #expect(error.allowFallbacks == false)
            #expect(error.error.code == "rate_limiter_unavailable")
            #expect(nowMilliseconds() - started < 500)
        }
        try server.start()
        var recovered = false
        for _ in 0..<100 where !recovered {
            recovered = try await plugin.preHook(keyContext(nil), chat()).1 == nil
            if !recovered { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(recovered)
    }

    @Test func aHungRedisTimesOutInsteadOfHanging() async throws {
        // Accepts connections, never answers.
        let listener = try Socket.listen(host: "127.0.0.1", port: 0, backlog: 8, reusePort: false)
        defer { closeDescriptor(listener.fd) }
        let url = "redis://127.0.0.1:\(listener.port)"
        let configuration = try RateLimitConfiguration(json: try JSONParser.parse(Array(
            #"{"rules": [{"requests_per_minute": 1}], "backend": "redis", "redis": {"url": "\#(url)"}, "on_redis_error": "deny"}"#.utf8)))
        let client = try EventLoopRedisClient(configuration: RedisConfiguration(url: url, timeout: 0.2), group: RateLimitTestLoops.replicaA)
        let plugin = try RateLimitPlugin(configuration: configuration, store: RedisRateLimitStore(client: client, prefix: "x:"))
        let started = nowMilliseconds()
        #expect(try await plugin.preHook(keyContext(nil), chat()).1?.error?.statusCode == 503)
        #expect(nowMilliseconds() - started < 1000)
        try await plugin.cleanup()
    }

    @Test func initFromJSONUsesTheGatewaysRedisService() async throws {
        let server = try TestRedisServer()
        PluginServices.installRedis(EventLoopRedisClient.factory(group: RateLimitTestLoops.replicaA))
        let plugin = try RateLimitPlugin(config: try JSONParser.parse(Array(
            #"{"rules": [{"requests_per_minute": 1}], "backend": "redis", "redis": {"url": "\#(server.url())", "timeout_ms": 2000}}"#.utf8)))
        #expect(plugin.store is RedisRateLimitStore)
        #expect(try await plugin.preHook(keyContext(nil), chat()).1 == nil)
        #expect(try await plugin.preHook(keyContext(nil), chat()).1?.error?.statusCode == 429)
        try await plugin.cleanup()
        do {
            _ = try RateLimitPlugin(config: try JSONParser.parse(Array(
                #"{"rules": [{"requests_per_minute": 1}], "backend": "redis", "redis": {"url": "http://nope"}}"#.utf8)))
            Issue.record("a bad URL must fail Init")
        } catch {
            #expect("\(error)".contains("config.redis.url"))
        }
    }
}
