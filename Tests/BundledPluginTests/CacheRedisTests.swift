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
