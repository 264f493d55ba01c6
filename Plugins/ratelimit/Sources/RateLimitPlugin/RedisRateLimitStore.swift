import BifrostPluginKit

/// Buckets in Redis, so that every gateway replica shares one limit.
///
/// Each bucket is a hash `{t: tokens, u: updated_ms}` under `<prefix>ratelimit:<bucket key>`,
/// read and written by one Lua script per operation: Redis runs a script atomically, so checking
/// every bucket of a request and taking from them cannot interleave with another replica's. Time
/// is Redis' own (`TIME`), so replicas with skewed clocks still agree. Keys expire once their
/// bucket would be full again. All keys of a request must live on one Redis (no Cluster).
public final class RedisRateLimitStore: RateLimitStore {
    private let client: any RedisClient
    private let prefix: String

    /// `prefix` starts every key (e.g. `bifrost:`).
    public init(client: any RedisClient, prefix: String) {
        self.client = client
        self.prefix = prefix
    }

    /// KEYS: the buckets. ARGV: for each bucket, its capacity, its refill rate (tokens per ms) and
    /// what to take when admitted (1 for request buckets, 0 for token buckets). Returns
    /// `{1}` when admitted, `{0, wait_ms, index}` (1-based) otherwise.
    static let acquireScript = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local levels = {}
        local wait, worst = 0, 0
        for i = 1, #KEYS do
          local capacity, rate = tonumber(ARGV[3 * i - 2]), tonumber(ARGV[3 * i - 1])
          local state = redis.call('HMGET', KEYS[i], 't', 'u')
          local tokens, updated = tonumber(state[1]), tonumber(state[2])
          if tokens == nil or updated == nil then
            tokens = capacity
          elseif now > updated then
            tokens = math.min(capacity, tokens + (now - updated) * rate)
          end
          levels[i] = tokens
          if tokens < 1 - 1e-9 and (1 - tokens) / rate > wait then
            wait, worst = (1 - tokens) / rate, i
          end
        end
        if worst > 0 then return {0, math.ceil(wait), worst} end
        for i = 1, #KEYS do
          local capacity, rate = tonumber(ARGV[3 * i - 2]), tonumber(ARGV[3 * i - 1])
          local tokens = levels[i] - tonumber(ARGV[3 * i])
          redis.call('HSET', KEYS[i], 't', tostring(tokens), 'u', tostring(now))
          redis.call('PEXPIRE', KEYS[i], math.ceil((capacity - tokens) / rate) + 1000)
        end
        return {1}
        """

    /// KEYS: token buckets. ARGV: for each, capacity and rate (tokens per ms); then the amount.
    static let debitScript = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local amount = tonumber(ARGV[2 * #KEYS + 1])
        for i = 1, #KEYS do
          local capacity, rate = tonumber(ARGV[2 * i - 1]), tonumber(ARGV[2 * i])
          local state = redis.call('HMGET', KEYS[i], 't', 'u')
          local tokens, updated = tonumber(state[1]), tonumber(state[2])
          if tokens == nil or updated == nil then
            tokens = capacity
          elseif now > updated then
            tokens = math.min(capacity, tokens + (now - updated) * rate)
          end
          tokens = tokens - amount
          redis.call('HSET', KEYS[i], 't', tostring(tokens), 'u', tostring(now))
          redis.call('PEXPIRE', KEYS[i], math.ceil((capacity - tokens) / rate) + 1000)
        end
        return 1
        """

    public var isRemote: Bool { true }

    /// The Redis key of a bucket.
    public func redisKey(_ bucket: BucketSpec) -> String { "\(prefix)ratelimit:\(bucket.key)" }

    public func acquire(_ buckets: [BucketSpec]) async throws -> RateLimitDecision {
        var arguments: [String] = []
        arguments.reserveCapacity(buckets.count * 3)
        for bucket in buckets {
            arguments += [Self.number(bucket.perMinute), Self.number(bucket.perMinute / 60_000), bucket.kind == .requests ? "1" : "0"]
        }
        let reply = try await client.eval(script: Self.acquireScript, keys: buckets.map(redisKey), arguments: arguments)
        guard case .array(let items?) = reply, let admitted = items.first?.int else {
            throw RedisError(.protocolViolation, "unexpected rate limit script reply \(reply)")
        }
        if admitted == 1 { return .allowed }
        guard items.count == 3, let waitMilliseconds = items[1].int, let index = items[2].int,
              (1...buckets.count).contains(index) else {
            throw RedisError(.protocolViolation, "unexpected rate limit script reply \(reply)")
        }
        return .limited(retryAfter: max(0.001, Double(waitMilliseconds) / 1000), bucket: index - 1)
    }

    public func debit(_ buckets: [BucketSpec], tokens: Int) async throws {
        guard !buckets.isEmpty else { return }
        var arguments: [String] = []
        for bucket in buckets { arguments += [Self.number(bucket.perMinute), Self.number(bucket.perMinute / 60_000)] }
        arguments.append(String(tokens))
        _ = try await client.eval(script: Self.debitScript, keys: buckets.map(redisKey), arguments: arguments)
    }

    public func close() async {
        await client.close()
    }

    /// A number Lua's `tonumber` reads back exactly.
    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
    }
}
