import Synchronization

/// Buckets in this process, under one lock: each gateway replica enforces its own limits.
///
/// Buckets are created full on first use and forgotten once they have refilled completely (a full
/// bucket and a missing one behave the same), so memory follows the active keys, not all keys ever seen.
public final class MemoryRateLimitStore: RateLimitStore {
    private struct State {
        var buckets: [String: TokenBucket] = [:]
        var operations = 0
    }

    private let state = Mutex(State())
    private let clock: @Sendable () -> Double

    /// `clock` returns seconds on any monotonic scale (tests inject their own).
    public init(clock: @escaping @Sendable () -> Double = MemoryRateLimitStore.monotonicSeconds) {
        self.clock = clock
    }

    /// Seconds on `ContinuousClock` since the first call.
    public static let monotonicSeconds: @Sendable () -> Double = {
        let origin = ContinuousClock.now
        return {
            let elapsed = ContinuousClock.now - origin
            return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        }
    }()

    public func acquire(_ buckets: [BucketSpec]) -> RateLimitDecision {
        let now = clock()
        return state.withLock { state in
            state.operations += 1
            if state.operations % 4096 == 0 { Self.sweep(&state.buckets, now: now) }
            var current: [TokenBucket] = []
            current.reserveCapacity(buckets.count)
            var longest = 0.0
            var limiting = -1
            for (index, spec) in buckets.enumerated() {
                var bucket = state.buckets[spec.key] ?? TokenBucket(perMinute: spec.perMinute, now: now)
                bucket.refill(now: now)
                if bucket.wait > longest {
                    longest = bucket.wait
                    limiting = index
                }
                current.append(bucket)
            }
            if limiting >= 0 { return .limited(retryAfter: longest, bucket: limiting) }
            for (index, spec) in buckets.enumerated() {
                var bucket = current[index]
                if spec.kind == .requests { bucket.take(1) }
                state.buckets[spec.key] = bucket
            }
            return .allowed
        }
    }

    public func debit(_ buckets: [BucketSpec], tokens: Int) {
        let now = clock()
        state.withLock { state in
            for spec in buckets {
                var bucket = state.buckets[spec.key] ?? TokenBucket(perMinute: spec.perMinute, now: now)
                bucket.refill(now: now)
                bucket.take(Double(tokens))
                state.buckets[spec.key] = bucket
            }
        }
    }

    public func close() async {}

    /// Buckets currently remembered (for tests).
    public var bucketCount: Int { state.withLock { $0.buckets.count } }

    /// The bucket stored under `key`, brought up to date (for tests and diagnostics).
    public func bucket(_ key: String) -> TokenBucket? {
        let now = clock()
        return state.withLock { state in
            guard var bucket = state.buckets[key] else { return nil }
            bucket.refill(now: now)
            return bucket
        }
    }

    /// Forgets every bucket that has refilled completely.
    public func sweep() {
        let now = clock()
        state.withLock { Self.sweep(&$0.buckets, now: now) }
    }

    private static func sweep(_ buckets: inout [String: TokenBucket], now: Double) {
        buckets = buckets.filter { !$0.value.isFull(at: now) }
    }
}
