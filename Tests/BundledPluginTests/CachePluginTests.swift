import BifrostCore
import BifrostPluginKit
@testable import CachePlugin
import Foundation
import Synchronization
import Testing

/// A clock tests move by hand.
final class CacheTestClock: Sendable {
    private let offset = Mutex<Duration>(.zero)
    private let base = ContinuousClock.now
    func advance(_ duration: Duration) { offset.withLock { $0 += duration } }
    var now: ContinuousClock.Instant { base + offset.withLock { $0 } }
}

func sha256Hex(_ text: String) -> String {
    SHA256.hash(Array(text.utf8)).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
}

@Suite("cache plugin")
struct CachePluginTests {
    @Test func secondIdenticalRequestIsAHitThatSkipsTheProvider() async throws {
        let provider = CountingProvider()
        let cache = try CachePlugin()
        let engine = pluginEngine([provider], plugins: [cache])
        let first = context()
        let miss = try await engine.complete(chat(text: "tell me"), context: first)
        #expect(first.responseHeaders == [ResponseHeader(name: "x-bf-cache", value: "miss")])
        #expect(first.value(CachePlugin.statusContextKey, as: String.self) == "miss")
        let second = context()
        let hit = try await engine.complete(chat(text: "tell me"), context: second)
        #expect(hit == miss)
        #expect(second.responseHeaders == [ResponseHeader(name: "x-bf-cache", value: "hit")])
        #expect(second.value(CachePlugin.statusContextKey, as: String.self) == "hit")
        #expect(provider.calls.value == 1)
        await engine.shutdown()
    }

    @Test func keyCoversProviderModelMessagesAndParameters() throws {
        let base = chat(text: "hello")
        var temperature = base
        temperature.params.temperature = 0.5
        var extra = base
        extra.params.extra = ["logit_bias": .object(["1": .number(2)])]
        var streamed = base
        streamed.stream = true
        var withFallback = base
        withFallback.fallbacks = [Fallback(provider: "groq", model: "m")]
        let keys = [base, chat("groq"), chat("openai", "gpt-4o"), chat(text: "hello!"), temperature, extra].map { CacheKey($0)! }
        #expect(Set(keys).count == keys.count)
        // Streaming and fallbacks do not change what is asked.
        #expect(CacheKey(streamed) == CacheKey(base))
        #expect(CacheKey(withFallback) == CacheKey(base))
        // Stable: the same request gives the same hex digest in any process.
        #expect(CacheKey(chat(text: "hello"))?.description == CacheKey(base)?.description)
        #expect(CacheKey(base)?.description.count == 64)
        // JSON parameters compare by content, not member order.
        var a = base, b = base
        a.params.extra = ["x": .object(["p": .number(1), "q": .number(2)])]
        b.params.extra = ["x": .object(["q": .number(2), "p": .number(1)])]
        #expect(CacheKey(a) == CacheKey(b))
    }

    @Test func sha256MatchesKnownVectors() throws {
        // The digest is what makes keys stable across replicas; check it against FIPS 180-4 vectors.
        let abc = sha256Hex("abc")
        #expect(abc == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(sha256Hex(String(repeating: "a", count: 1000)).hasPrefix("41edece42d63e8d9bf515a9ba6932e1c"))
    }

    @Test func entriesExpireAfterTheTTL() async throws {
        let clock = CacheTestClock()
        let store = MemoryCacheStore(maxBytes: 1 << 20, now: { clock.now })
        let provider = CountingProvider()
        let engine = pluginEngine([provider], plugins: [try CachePlugin(configuration: CacheConfiguration(ttl: .seconds(60)), store: store)])
        _ = try await engine.complete(chat(), context: context())
        clock.advance(.seconds(59))
        _ = try await engine.complete(chat(), context: context())
        #expect(provider.calls.value == 1)
        clock.advance(.seconds(2))
        let fresh = try await engine.complete(chat(), context: context())
        #expect(text(fresh) == "answer 2")
        #expect(provider.calls.value == 2)
        await engine.shutdown()
    }

    @Test func memoryStoreEvictsTheLeastRecentlyUsedWithinItsByteBudget() async throws {
        let response = BifrostResponse(id: "x", object: "chat.completion", created: 0, model: "m",
                                       choices: [Choice(message: .text("assistant", String(repeating: "z", count: 300)))],
                                       extraFields: ExtraFields(provider: "openai", model: "m"))
        let entrySize = try JSONEncoder().encode(response).count + MemoryCacheStore.entryOverhead
        let store = MemoryCacheStore(maxBytes: entrySize * 3)
        let keys = (0..<4).map { CacheKey(chat(text: "q\($0)"))! }
        for key in keys.prefix(3) { try await store.put(key, response, ttl: .seconds(60)) }
        _ = try await store.get(keys[0])  // now the most recently used
        try await store.put(keys[3], response, ttl: .seconds(60))
        #expect(try await store.get(keys[0]) != nil)
        #expect(try await store.get(keys[1]) == nil)  // the least recently used went
        #expect(try await store.get(keys[2]) != nil)
        #expect(try await store.get(keys[3]) != nil)
        #expect(store.usage.entries == 3)
        #expect(store.usage.bytes <= entrySize * 3)
        // An entry larger than the whole budget is not stored (and evicts nothing).
        var huge = response
        huge.choices = [Choice(message: .text("assistant", String(repeating: "z", count: entrySize * 4)))]
        try await store.put(CacheKey(chat(text: "huge"))!, huge, ttl: .seconds(60))
        #expect(store.usage.entries == 3)
    }

    @Test func memoryStoreCountsTheProviderBodyAnEntryKeeps() async throws {
        let body = Array(#"{"choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"logprobs":{"content":[]}}]}"#.utf8)
        var response = BifrostResponse(id: "x", object: "chat.completion", created: 0, model: "m",
                                       extraFields: ExtraFields(provider: "openai", model: "m"))
        let range = try #require(body.firstIndex(of: UInt8(ascii: "[")))..<(body.count - 1)
        response.deferredChoices = DeferredJSON(try #require(JSONText(source: body, range: range))) { _ in [Choice(message: .text("assistant", "hi"))] }
        response.verbatimBody = JSONText(source: body, range: 0..<body.count)
        let store = MemoryCacheStore(maxBytes: 1 << 20)
        let key = try #require(CacheKey(chat()))
        try await store.put(key, response, ttl: .seconds(60))
        let decodedSize = try JSONEncoder().encode(response).count
        #expect(store.usage.bytes == decodedSize + body.count + MemoryCacheStore.entryOverhead)
        let cached = try #require(try await store.get(key))
        #expect(cached.verbatimBody == response.verbatimBody)  // a hit is written like the miss was
    }

    @Test func redisEntriesCarryTheKeptBodyAsAMemberOlderVersionsIgnore() throws {
        let body = Array(#"{"id":"x","object":"chat.completion","created":1,"model":"m","service_tier":"flex","choices":[]}"#.utf8)
        var response = BifrostResponse(id: "x", object: "chat.completion", created: 1, model: "m",
                                       extraFields: ExtraFields(provider: "openai", model: "m"))
        response.verbatimBody = JSONText(source: body, range: body.indices)
        let entry = try RedisCacheStore.entry(response)
        // What a version without kept bodies decodes: the same fields.
        #expect(try JSONDecoder().decode(BifrostResponse.self, from: Data(entry)) == response)
        let read = try RedisCacheStore.response(fromEntry: entry)
        #expect(read == response)
        #expect(read.verbatimBody?.bytes.elementsEqual(body) == true)
    }

    @Test func noCacheBypassesTheLookupAndNoStoreAlsoTheStore() async throws {
        let provider = CountingProvider()
        let engine = pluginEngine([provider], plugins: [try CachePlugin()])
        _ = try await engine.complete(chat(), context: context())
        let bypass = context([("Cache-Control", "no-cache")])
        let fresh = try await engine.complete(chat(), context: bypass)
        #expect(text(fresh) == "answer 2")
        #expect(bypass.responseHeaders.first?.value == "miss")
        #expect(bypass.value(CachePlugin.statusContextKey, as: String.self) == "bypass")
        // no-cache still stored the fresh answer.
        #expect(text(try await engine.complete(chat(), context: context())) == "answer 2")
        _ = try await engine.complete(chat(text: "other"), context: context([("cache-control", "max-age=0, no-store")]))
        _ = try await engine.complete(chat(text: "other"), context: context())
        #expect(provider.calls.value == 4)
        await engine.shutdown()
    }

    @Test func errorsAreNeverCached() async throws {
        let failing = CountingProvider(failure: BifrostError(message: "down", statusCode: 503, isBifrostError: false))
        let engine = pluginEngine([failing], plugins: [try CachePlugin()])
        for _ in 0..<2 {
            await #expect(throws: BifrostError.self) { _ = try await engine.complete(chat(), context: context()) }
        }
        #expect(failing.calls.value == 2)
        await engine.shutdown()
    }

    @Test func aStreamingRequestIsAnsweredFromTheCacheAsAStream() async throws {
        let provider = CountingProvider()
        let engine = pluginEngine([provider], plugins: [try CachePlugin()])
        // A streamed answer is stored (assembled), and a later stream replays it.
        var streamedText = ""
        for try await chunk in try await engine.stream(chat(stream: true), context: context()) {
            streamedText += chunk.choices.first?.delta?.content?.plainText ?? ""
        }
        #expect(streamedText == "streamed answer 1")
        let hitContext = context()
        var chunks: [BifrostResponse] = []
        for try await chunk in try await engine.stream(chat(stream: true), context: hitContext) { chunks.append(chunk) }
        #expect(hitContext.responseHeaders.first?.value == "hit")
        #expect(chunks.allSatisfy { $0.object == "chat.completion.chunk" })
        #expect(chunks.compactMap { $0.choices.first?.delta?.content?.plainText }.joined() == "streamed answer 1")
        #expect(chunks.last?.choices.first?.finishReason == "stop")
        #expect(chunks.last?.usage?.totalTokens == 6)
        // And a non-streaming request is served from the same entry.
        let complete = try await engine.complete(chat(), context: context())
        #expect(text(complete) == "streamed answer 1")
        #expect(provider.calls.value == 1)
        await engine.shutdown()
    }

    @Test func aFailingStoreIsAMissNotAFailure() async throws {
        struct Broken: CacheStore {
            func get(_ key: CacheKey) async throws -> BifrostResponse? { throw RedisError(.connect, "connection refused") }
            func put(_ key: CacheKey, _ response: BifrostResponse, ttl: Duration) async throws { throw RedisError(.timeout, "timed out") }
            func close() async {}
        }
        let provider = CountingProvider()
        let engine = pluginEngine([provider], plugins: [try CachePlugin(store: Broken())])
        let response = try await engine.complete(chat(), context: context())
        #expect(text(response) == "answer 1")
        await engine.shutdown()
    }

    @Test func configurationIsReadWithDefaultsAndCheckedStrictly() throws {
        let defaults = try CacheConfiguration(json: .object([:]))
        #expect(defaults.backend == .memory)
        #expect(defaults.ttl == .seconds(300))
        #expect(defaults.maxBytes == 64 * 1024 * 1024)
        let custom = try CacheConfiguration(json: try JSONParser.parse(Array(#"{"ttl": "90s", "max_bytes": 1000, "backend": "redis", "redis": {"url": "redis://127.0.0.1:6379", "prefix": "p:"}}"#.utf8)))
        #expect(custom.ttl == .seconds(90))
        #expect(custom.maxBytes == 1000)
        #expect(custom.backend == .redis(url: "redis://127.0.0.1:6379", prefix: "p:"))
        #expect(try CacheConfiguration(json: try JSONParser.parse(Array(#"{"ttl": 1.5}"#.utf8))).ttl == .milliseconds(1500))
        #expect(try CacheConfiguration(json: try JSONParser.parse(Array(#"{"ttl": "2m"}"#.utf8))).ttl == .seconds(120))
        for (json, path) in [(#"{"ttl": "soon"}"#, "config.ttl"), (#"{"backend": "disk"}"#, "config.backend"),
                             (#"{"backend": "redis"}"#, "config.redis.url"), (#"{"max_bytes": -1}"#, "config.max_bytes"),
                             (#"{"size": 1}"#, "config.size")] {
            #expect { try CacheConfiguration(json: try JSONParser.parse(Array(json.utf8))) } throws: { "\($0)".contains(path) }
        }
    }
}

extension LivePluginGatewayTests {
    @Suite("cache plugin over HTTP")
    struct CacheGatewayTests {
        @Test func secondRequestIsServedFromTheCacheWithTheHitHeader() throws {
            let gateway = try PluginGateway(plugins: [try CachePlugin()])
            defer { gateway.stop() }
            let body = #"{"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "cache me"}], "temperature": 0}"#
            let first = try gateway.post("/v1/chat/completions", body)
            #expect(first.status == 200)
            #expect(first.header("x-bf-cache") == "miss")
            let second = try gateway.post("/v1/chat/completions", body)
            #expect(second.status == 200)
            #expect(second.header("x-bf-cache") == "hit")
            #expect(second.bodyText == first.bodyText)
            #expect(gateway.upstream.calls.value == 1)

            // The same question streamed: replayed from the cache as SSE, the upstream not called.
            let streamed = try gateway.post("/v1/chat/completions", #"{"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "cache me"}], "temperature": 0, "stream": true}"#)
            #expect(streamed.status == 200)
            #expect(streamed.header("x-bf-cache") == "hit")
            #expect(streamed.header("content-type") == "text/event-stream")
            let events = sseData(streamed.bodyText)
            #expect(events.last == "[DONE]")
            let firstText = ((jsonBody(first.bodyText)?["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])?["content"] as? String
            let replayed = events.dropLast().compactMap { jsonBody($0) }
                .compactMap { (($0["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any])?["content"] as? String }.joined()
            #expect(replayed == firstText)
            #expect(gateway.upstream.calls.value == 1)

            let bypass = try gateway.post("/v1/chat/completions", body, headers: [("Cache-Control", "no-cache")])
            #expect(bypass.header("x-bf-cache") == "miss")
            #expect(gateway.upstream.calls.value == 2)
        }
    }
}
