import BifrostPluginKit
import Foundation

/// Entries in Redis as JSON under `<prefix>cache:<sha256 hex>`, with the TTL set by Redis
/// (`SET ... PX`), so every replica sharing the Redis shares the cache.
public final class RedisCacheStore: CacheStore {
    private let client: any RedisClient
    private let prefix: String

    public init(client: any RedisClient, prefix: String = "bifrost:") {
        self.client = client
        self.prefix = prefix
    }

    func redisKey(_ key: CacheKey) -> [UInt8] { Array("\(prefix)cache:\(key)".utf8) }

    public func get(_ key: CacheKey) async throws -> BifrostResponse? {
        switch try await client.send(bytes: [Array("GET".utf8), redisKey(key)]) {
        case .bulk(let bytes?): return try JSONDecoder().decode(BifrostResponse.self, from: Data(bytes))
        default: return nil
        }
    }

    public func put(_ key: CacheKey, _ response: BifrostResponse, ttl: Duration) async throws {
        let milliseconds = max(1, ttl.components.seconds * 1000 + ttl.components.attoseconds / 1_000_000_000_000_000)
        let value = Array(try JSONEncoder().encode(response))
        _ = try await client.send(bytes: [Array("SET".utf8), redisKey(key), value, Array("PX".utf8), Array("\(milliseconds)".utf8)])
    }

    public func close() async {
        await client.close()
    }
}
