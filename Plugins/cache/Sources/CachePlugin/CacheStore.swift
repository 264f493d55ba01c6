import BifrostPluginKit

/// Where cached responses live. Implementations must be safe to call from many requests at once
/// and must never hang (a Redis store relies on the client's timeout).
public protocol CacheStore: Sendable {
    /// The response stored under `key`, unless missing or expired.
    func get(_ key: CacheKey) async throws -> BifrostResponse?
    /// Stores `response` under `key` for `ttl`.
    func put(_ key: CacheKey, _ response: BifrostResponse, ttl: Duration) async throws
    /// Releases connections (called from the plugin's `cleanup()`).
    func close() async
}
