import BifrostPluginKit
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exact-match response cache: a request whose provider, model, input and parameters equal an
/// earlier successful one within the TTL is answered from the cache without calling the provider.
///
/// - A hit short-circuits with the cached response; a streaming request gets it replayed as a stream.
/// - The response carries `x-bf-cache: hit` or `miss`; the context holds `"bifrost.cache"` =
///   `"hit"`, `"miss"` or `"bypass"` (a `String`) for later plugins and logs.
/// - `Cache-Control: no-cache` skips the lookup (the fresh answer is still stored);
///   `no-store` skips both lookup and store.
/// - Errors are never cached; a cache that fails (Redis down) is a miss, never a failed request.
public final class CachePlugin: Plugin {
    /// The context key holding `"hit"`, `"miss"` or `"bypass"`.
    public static let statusContextKey = "bifrost.cache"
    /// The response header reporting hit or miss.
    public static let responseHeader = "x-bf-cache"
    static let pendingContextKey = "cache.pending"

    public let name = "cache"
    public let configuration: CacheConfiguration
    let store: any CacheStore
    /// Backend failures, at most one line every 10 seconds.
    private let warnings = ThrottledLog(PluginLog(plugin: "cache"))

    /// Direct instantiation; `store` overrides the backend the configuration names.
    public init(configuration: CacheConfiguration = CacheConfiguration(), store: (any CacheStore)? = nil) throws {
        self.configuration = configuration
        if let store {
            self.store = store
        } else {
            switch configuration.backend {
            case .memory:
                self.store = MemoryCacheStore(maxBytes: configuration.maxBytes)
            case .redis(let url, let prefix):
                self.store = RedisCacheStore(client: try PluginServices.redis(RedisConfiguration(url: url)), prefix: prefix)
            }
        }
    }

    /// `Init` from the plugin's `config` JSON (see README.md).
    public convenience init(config: JSONValue) throws {
        try self.init(configuration: CacheConfiguration(json: config))
    }

    /// What the PostHook of this attempt should store.
    struct Pending: Sendable {
        let key: CacheKey
        let store: Bool
        let storable: Bool
    }

    public func preHook(_ context: BifrostContext, _ request: BifrostRequest) async throws -> (BifrostRequest, PluginShortCircuit?) {
        let control = Self.cacheControl(context.header("cache-control"))
        guard let key = CacheKey(request) else {
            context.set(Self.pendingContextKey, nil)
            context.set(Self.statusContextKey, "bypass")
            context.addResponseHeader(Self.responseHeader, "miss")
            return (request, nil)
        }
        // A streamed answer is assembled as a chat completion; other streamed kinds are not stored.
        let storable = !request.stream || request.input.kind == .chatCompletion
        context.set(Self.pendingContextKey, Pending(key: key, store: !control.noStore && storable, storable: storable))
        context.addResponseHeader(Self.responseHeader, "miss")
        context.set(Self.statusContextKey, control.noCache ? "bypass" : "miss")
        guard !control.noCache else { return (request, nil) }
        let cached: BifrostResponse?
        do {
            cached = try await store.get(key)
        } catch {
            warnings.warning("cache lookup failed; treating it as a miss: \(error)")
            return (request, nil)
        }
        guard let cached else { return (request, nil) }
        context.set(Self.pendingContextKey, nil)
        context.addResponseHeader(Self.responseHeader, "hit")
        context.set(Self.statusContextKey, "hit")
        return (request, request.stream ? .stream(StreamReplay.stream(cached)) : .respond(cached))
    }

    public func postHook(_ context: BifrostContext, _ response: BifrostResponse?, _ error: BifrostError?) async throws
        -> (BifrostResponse?, BifrostError?) {
        guard let pending = context.value(Self.pendingContextKey, as: Pending.self) else { return (response, error) }
        context.set(Self.pendingContextKey, nil)
        guard pending.store, error == nil, let response else { return (response, error) }
        do {
            try await store.put(pending.key, response, ttl: configuration.ttl)
        } catch {
            warnings.warning("cache store failed: \(error)")
        }
        return (response, error)
    }

    public func cleanup() async throws {
        await store.close()
    }

    /// The request's `Cache-Control` directives this plugin honours.
    static func cacheControl(_ header: String?) -> (noCache: Bool, noStore: Bool) {
        guard let header else { return (false, false) }
        let directives = header.lowercased().split(separator: ",").map { $0.filter { $0 != " " && $0 != "\t" } }
        let noStore = directives.contains("no-store")
        return (directives.contains("no-cache") || noStore, noStore)
    }
}
