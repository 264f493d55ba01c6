import BifrostIO
import BifrostPluginKit
import BifrostRedis
import BifrostTestSupport
import CachePlugin
import Testing

/// Event loops for the cache tests' Redis clients (one per simulated replica), alive for the run.
enum CacheTestLoops {
    static let replicaA = try! EventLoopGroup(loopCount: 1, name: "cache-a")
    static let replicaB = try! EventLoopGroup(loopCount: 1, name: "cache-b")
}

/// A cache plugin with the Redis backend on its own client, standing in for one gateway replica.
func redisCache(_ server: TestRedisServer, group: EventLoopGroup, ttl: Duration = .seconds(60), timeout: Double = 1) throws -> CachePlugin {
    let client = try EventLoopRedisClient(configuration: RedisConfiguration(url: server.url(), poolSize: 2, timeout: timeout), group: group)
    return try CachePlugin(configuration: CacheConfiguration(backend: .redis(url: server.url(), prefix: "test:"), ttl: ttl),
                           store: RedisCacheStore(client: client, prefix: "test:"))
}

@Suite("cache plugin with the Redis backend", .serialized)
struct CacheRedisTests {
    @Test func twoReplicasShareEntriesWithTheTTLInRedis() async throws {
        let server = try TestRedisServer()
        let provider = CountingProvider()
        let cacheA = try redisCache(server, group: CacheTestLoops.replicaA, ttl: .seconds(30))
        let cacheB = try redisCache(server, group: CacheTestLoops.replicaB, ttl: .seconds(30))
        let replicaA = pluginEngine([provider], plugins: [cacheA])
        let replicaB = pluginEngine([provider], plugins: [cacheB])
        let first = try await replicaA.complete(chat(text: "shared"), context: context())
        let hitContext = context()
        let second = try await replicaB.complete(chat(text: "shared"), context: hitContext)
        #expect(second == first)
        #expect(hitContext.responseHeaders.first?.value == "hit")
        #expect(provider.calls.value == 1)
        // A stream on replica B is replayed from the Redis entry.
        var replayed = ""
        for try await chunk in try await replicaB.stream(chat(text: "shared", stream: true), context: context()) {
            replayed += chunk.choices.first?.delta?.content?.plainText ?? ""
        }
        #expect(replayed == "answer 1")
        #expect(provider.calls.value == 1)

        let probe = try EventLoopRedisClient(configuration: RedisConfiguration(url: server.url()), group: CacheTestLoops.replicaB)
        let key = "test:cache:\(CacheKey(chat(text: "shared"))!)"
        let ttl = try await probe.send(["PTTL", key]).int ?? -1
        #expect(ttl > 25_000 && ttl <= 30_000)
        await probe.close()
        await replicaA.shutdown()
        await replicaB.shutdown()
    }

    @Test func aHitKeepsTheProviderBodyAndOlderEntriesStillRead() async throws {
        let server = try TestRedisServer()
        let client = try EventLoopRedisClient(configuration: RedisConfiguration(url: server.url()), group: CacheTestLoops.replicaA)
        let store = RedisCacheStore(client: client, prefix: "test:")
        let body = Array(#"{"id":"x","object":"chat.completion","created":1,"model":"m","service_tier":"flex","choices":[{"index":0,"message":{"role":"assistant","content":"hi"}}]}"#.utf8)
        var response = BifrostResponse(id: "x", object: "chat.completion", created: 1, model: "m",
                                       choices: [Choice(message: .text("assistant", "hi"))],
                                       extraFields: ExtraFields(provider: "openai", model: "m"))
        response.verbatimBody = JSONText(source: body, range: body.indices)
        let kept = try #require(CacheKey(chat(text: "kept")))
        try await store.put(kept, response, ttl: .seconds(60))
        let hit = try #require(try await store.get(kept))
        #expect(hit == response)
        #expect(hit.verbatimBody?.bytes.elementsEqual(body) == true)  // service_tier included

        // An entry written from fields alone (no kept body, or by an earlier version) reads as before.
        let plain = try #require(CacheKey(chat(text: "plain")))
        try await store.put(plain, BifrostResponse(id: "y", object: "chat.completion", created: 2, model: "m",
                                                   extraFields: ExtraFields(provider: "openai", model: "m")), ttl: .seconds(60))
        let read = try #require(try await store.get(plain))
        #expect(read.id == "y" && read.verbatimBody == nil)
        await store.close()
    }

    @Test func redisDownIsAMissAndNeverAHang() async throws {
        let server = try TestRedisServer()
        let provider = CountingProvider()
        let engine = pluginEngine([provider], plugins: [try redisCache(server, group: CacheTestLoops.replicaA, timeout: 0.3)])
        _ = try await engine.complete(chat(text: "before"), context: context())
        server.kill()
        let started = ContinuousClock.now
        let response = try await engine.complete(chat(text: "before"), context: context())
        #expect(text(response) == "answer 2")  // served by the provider
        #expect(ContinuousClock.now - started < .seconds(3))
        try server.start()
        await engine.shutdown()
    }
}
