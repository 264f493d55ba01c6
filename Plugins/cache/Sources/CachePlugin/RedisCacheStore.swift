import BifrostPluginKit
import Foundation

/// Entries in Redis as JSON under `<prefix>cache:<sha256 hex>`, with the TTL set by Redis
/// (`SET ... PX`), so every replica sharing the Redis shares the cache.
///
/// An entry is the response's fields (Codable) plus, when the response still holds the provider's
/// body (``BifrostResponse/verbatimBody``), that body as one more member, `provider_body`: a hit is
/// then written like the miss was, members the gateway does not model included, as the memory store
/// does. Decoding the fields ignores the extra member, so versions with and without it read each
/// other's entries (replicas mid-upgrade, a rollback).
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
        case .bulk(let bytes?): return try Self.response(fromEntry: bytes)
        default: return nil
        }
    }

    public func put(_ key: CacheKey, _ response: BifrostResponse, ttl: Duration) async throws {
        let milliseconds = max(1, ttl.components.seconds * 1000 + ttl.components.attoseconds / 1_000_000_000_000_000)
        let value = try Self.entry(response)
        _ = try await client.send(bytes: [Array("SET".utf8), redisKey(key), value, Array("PX".utf8), Array("\(milliseconds)".utf8)])
    }

    public func close() async {
        await client.close()
    }

    static func entry(_ response: BifrostResponse) throws -> [UInt8] {
        var entry = Array(try JSONEncoder().encode(response))
        guard let body = response.verbatimBody, entry.last == UInt8(ascii: "}") else { return entry }
        entry.removeLast()
        entry.append(contentsOf: #","provider_body":"#.utf8)
        entry.append(contentsOf: body.bytes)
        entry.append(UInt8(ascii: "}"))
        return entry
    }

    static func response(fromEntry bytes: [UInt8]) throws -> BifrostResponse {
        var response = try JSONDecoder().decode(BifrostResponse.self, from: Data(bytes))
        var body: Range<Int>?
        // As deep as JSONDecoder goes: an entry it read is never refused here.
        try JSONReader.read(bytes, maxDepth: 512) { reader in
            try reader.readObject { reader, key in
                if key.is("provider_body") { body = try reader.skipValueRange() } else { try reader.skipValue() }
            }
        }
        if let body { response.verbatimBody = JSONText(source: bytes, range: body) }
        return response
    }
}
