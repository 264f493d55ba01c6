/// One bucket a request is checked against: where it lives and how big it is.
public struct BucketSpec: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        /// Counts requests: one is taken when a request is admitted.
        case requests
        /// Counts LLM tokens: debited after the response by its usage.
        case tokens
    }

    /// The bucket's name in the store (unique per rule, scope values and kind).
    public let key: String
    /// Capacity, refilled evenly over a minute.
    public let perMinute: Double
    public let kind: Kind

    public init(key: String, perMinute: Double, kind: Kind) {
        self.key = key
        self.perMinute = perMinute
        self.kind = kind
    }
}

/// What a store decided for a request.
public enum RateLimitDecision: Sendable, Equatable {
    case allowed
    /// Over the limit of `buckets[bucket]`; it admits again after `retryAfter` seconds.
    case limited(retryAfter: Double, bucket: Int)
}

/// Where buckets are kept. Both operations are atomic over all the buckets they are given.
public protocol RateLimitStore: Sendable {
    /// Checks every bucket; when all admit, takes one request from each request bucket. When one
    /// does not, nothing is taken and the answer names the bucket that frees up last.
    func acquire(_ buckets: [BucketSpec]) async throws -> RateLimitDecision
    /// Takes `tokens` from each (token) bucket, after a response reported its usage.
    func debit(_ buckets: [BucketSpec], tokens: Int) async throws
    /// Releases connections (called from the plugin's `cleanup()`).
    func close() async
    /// True when the store is across the network: the PostHook then debits tokens after the
    /// response has left instead of holding the response for the round trip.
    var isRemote: Bool { get }
}

extension RateLimitStore {
    public var isRemote: Bool { false }
}
