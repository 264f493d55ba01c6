import BifrostPluginKit
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Rate limits on requests per minute and tokens per minute, as token buckets per rule and per
/// combination of the rule's scope (virtual key, provider, model).
///
/// - PreHook: every rule that matches the request names its buckets; when one is empty the request
///   short-circuits with a 429 whose `retryAfter` (the `Retry-After` header) says when it frees up,
///   and fallbacks stay allowed (`allowFallbacks` nil): another provider or model may have room.
///   When all have room, one request is taken from each request bucket, atomically.
/// - PostHook: the response's `usage.total_tokens` is taken from the token buckets (responses the
///   `cache` plugin served, with `"bifrost.cache"` = `"hit"` in the context, cost no tokens). With
///   the Redis backend the debit runs after the response has left, on the request's event loop, so
///   the client never waits for that round trip; ``cleanup()`` waits for debits still in flight.
/// - The virtual key is what the `auth` plugin put in the context under `"bifrost.virtual_key"`;
///   requests without one share the key `-`.
/// - With the Redis backend unreachable, requests pass (`on_redis_error: "allow"`, the default) or
///   fail with 503 (`"deny"`); either way it is logged (at most every 10 s) and never waits longer
///   than the Redis timeout.
public final class RateLimitPlugin: Plugin {
    /// Where the `auth` plugin leaves the virtual key's name (a `String`).
    public static let virtualKeyContextKey = "bifrost.virtual_key"
    /// Where the `cache` plugin records `"hit"` when it answered the request.
    static let cacheStatusContextKey = "bifrost.cache"
    /// The token buckets the PostHook debits, set by an admitting PreHook.
    static let pendingContextKey = "ratelimit.pending"

    public let name = "ratelimit"
    public let configuration: RateLimitConfiguration
    /// Where the buckets live.
    public let store: any RateLimitStore
    /// Backend failures, at most one line every 10 seconds.
    private let warnings = ThrottledLog(PluginLog(plugin: "ratelimit"))
    private let backendFailures = Atomic<Int>(0)
    /// Debits sent after their response (remote stores).
    private let debitsInFlight = InFlightWork()

    /// Direct instantiation; `store` overrides the backend the configuration names (tests pass a
    /// ``MemoryRateLimitStore`` with their own clock, or a ``RedisRateLimitStore`` on their own client).
    public init(configuration: RateLimitConfiguration, store: (any RateLimitStore)? = nil) throws {
        self.configuration = configuration
        if let store {
            self.store = store
            return
        }
        switch configuration.backend {
        case .memory:
            self.store = MemoryRateLimitStore()
        case .redis(let url, let prefix, let poolSize, let timeout):
            let client: any RedisClient
            do {
                client = try PluginServices.redis(RedisConfiguration(url: url, poolSize: poolSize, timeout: timeout))
            } catch {
                throw PluginConfigurationError("config.redis.url: \(error)")
            }
            self.store = RedisRateLimitStore(client: client, prefix: prefix)
        }
    }

    /// `Init` from the plugin's `config` JSON (see README.md).
    public convenience init(config: JSONValue) throws {
        try self.init(configuration: RateLimitConfiguration(json: config))
    }

    /// How many times the backend failed (Redis unreachable or timing out) since start.
    public var backendFailureCount: Int { backendFailures.load(ordering: .relaxed) }

    /// What the PostHook of an admitted request debits.
    struct Pending: Sendable {
        let tokenBuckets: [BucketSpec]
    }

    public func preHook(_ context: BifrostContext, _ request: BifrostRequest) async throws -> (BifrostRequest, PluginShortCircuit?) {
        context.set(Self.pendingContextKey, nil)
        let virtualKey = context.value(Self.virtualKeyContextKey, as: String.self)
        let planned = plan(virtualKey: virtualKey, provider: request.provider, model: request.model)
        guard !planned.isEmpty else { return (request, nil) }
        let buckets = planned.map(\.bucket)
        let decision: RateLimitDecision
        do {
            decision = try await store.acquire(buckets)
        } catch {
            backendFailures.add(1, ordering: .relaxed)
            if configuration.allowOnBackendError {
                warnings.warning("rate limit backend failed; allowing the request (on_redis_error: allow): \(error)")
                return (request, nil)
            }
            warnings.warning("rate limit backend failed; denying the request (on_redis_error: deny): \(error)")
            return (request, .fail(BifrostError(message: "rate limiter unavailable", type: "rate_limit_error",
                                                code: "rate_limiter_unavailable", statusCode: 503,
                                                allowFallbacks: false, retryAfter: 1)))
        }
        switch decision {
        case .allowed:
            let tokenBuckets = buckets.filter { $0.kind == .tokens }
            if !tokenBuckets.isEmpty { context.set(Self.pendingContextKey, Pending(tokenBuckets: tokenBuckets)) }
            return (request, nil)
        case .limited(let exactWait, let index):
            // Whole milliseconds (never zero), so float noise cannot push `Retry-After` up a second.
            let retryAfter = max(0.001, (exactWait * 1000 - 1e-6).rounded(.up) / 1000)
            let bucket = buckets[index]
            let unit = bucket.kind == .requests ? "requests" : "tokens"
            let limit = RedisRateLimitStore.number(bucket.perMinute)
            let label = label(planned[index].rule, virtualKey: virtualKey, provider: request.provider, model: request.model)
            let message = "rate limit exceeded: \(limit) \(unit) per minute for \(label); "
                + "retry after \(Int(retryAfter.rounded(.up)))s"
            // allowFallbacks nil: another provider or model may still have room.
            return (request, .fail(BifrostError(message: message, type: "rate_limit_error", code: "rate_limit_exceeded",
                                                statusCode: 429, allowFallbacks: nil, retryAfter: retryAfter)))
        }
    }

    public func postHook(_ context: BifrostContext, _ response: BifrostResponse?, _ error: BifrostError?) async throws
        -> (BifrostResponse?, BifrostError?) {
        guard let pending = context.value(Self.pendingContextKey, as: Pending.self) else { return (response, error) }
        context.set(Self.pendingContextKey, nil)
        guard let usage = response?.usage, usage.totalTokens > 0,
              context.value(Self.cacheStatusContextKey, as: String.self) != "hit" else { return (response, error) }
        if store.isRemote {
            let tokens = usage.totalTokens
            debitsInFlight.start(on: context.executor) { await self.debit(pending.tokenBuckets, tokens: tokens) }
        } else {
            await debit(pending.tokenBuckets, tokens: usage.totalTokens)
        }
        return (response, error)
    }

    private func debit(_ buckets: [BucketSpec], tokens: Int) async {
        do {
            try await store.debit(buckets, tokens: tokens)
        } catch {
            backendFailures.add(1, ordering: .relaxed)
            warnings.warning("rate limit backend failed; \(tokens) tokens not counted: \(error)")
        }
    }

    /// Returns once every token debit started so far has reached the store (or failed).
    public func waitForDebits() async {
        await debitsInFlight.waitUntilIdle()
    }

    public func cleanup() async throws {
        await waitForDebits()
        await store.close()
    }

    /// The buckets a request is checked against: per matching rule, its request and/or token bucket
    /// for the request's values of the rule's scope.
    public func buckets(virtualKey: String?, provider: String, model: String) -> [BucketSpec] {
        plan(virtualKey: virtualKey, provider: provider, model: model).map(\.bucket)
    }

    /// The buckets with the rule each comes from (for the error message, see ``label(_:virtualKey:provider:model:)``).
    func plan(virtualKey: String?, provider: String, model: String) -> [(bucket: BucketSpec, rule: RateLimitRule)] {
        var planned: [(bucket: BucketSpec, rule: RateLimitRule)] = []
        for rule in configuration.rules where rule.match.matches(virtualKey: virtualKey, provider: provider, model: model) {
            // `name:dimension=value,...` (or `name:*`), then `:requests` or `:tokens`.
            var base = rule.name + ":"
            if rule.scope.isEmpty { base += "*" }
            for (index, value) in Self.scopeValues(rule, virtualKey: virtualKey, provider: provider, model: model).enumerated() {
                if index > 0 { base += "," }
                base += value
            }
            if let perMinute = rule.requestsPerMinute {
                planned.append((BucketSpec(key: base + ":requests", perMinute: perMinute, kind: .requests), rule))
            }
            if let perMinute = rule.tokensPerMinute {
                planned.append((BucketSpec(key: base + ":tokens", perMinute: perMinute, kind: .tokens), rule))
            }
        }
        return planned
    }

    /// How errors name a rule and its scope: `rule "r" (virtual_key=a, model=m)`. Only built for a
    /// limited request.
    func label(_ rule: RateLimitRule, virtualKey: String?, provider: String, model: String) -> String {
        let values = Self.scopeValues(rule, virtualKey: virtualKey, provider: provider, model: model)
        return "rule \"\(rule.name)\"" + (values.isEmpty ? "" : " (\(values.joined(separator: ", ")))")
    }

    private static func scopeValues(_ rule: RateLimitRule, virtualKey: String?, provider: String, model: String) -> [String] {
        rule.scope.map { dimension in
            switch dimension {
            case .virtualKey: "virtual_key=" + (virtualKey ?? "-")
            case .provider: "provider=" + provider
            case .model: "model=" + model
            }
        }
    }
}
