/// A token bucket: holds up to `capacity` tokens and refills at `rate` tokens per second.
///
/// Request buckets hold requests (capacity = requests per minute, one taken per admitted request);
/// token buckets hold LLM tokens (capacity = tokens per minute, debited after the response by the
/// tokens it used, so they may go below zero and then block until refilled). A bucket admits a
/// request while it holds at least one token.
public struct TokenBucket: Sendable, Hashable {
    public let capacity: Double
    /// Tokens per second.
    public let rate: Double
    public private(set) var tokens: Double
    /// When `tokens` was last brought up to date, in seconds on the limiter's clock.
    public private(set) var updated: Double

    /// A full bucket at `now`.
    public init(capacity: Double, rate: Double, now: Double) {
        self.capacity = capacity
        self.rate = rate
        tokens = capacity
        updated = now
    }

    /// A bucket of `perMinute` tokens refilling evenly over a minute.
    public init(perMinute: Double, now: Double) {
        self.init(capacity: perMinute, rate: perMinute / 60, now: now)
    }

    /// Adds what accrued since the last update (never beyond capacity; a clock going back adds nothing).
    public mutating func refill(now: Double) {
        guard now > updated else { return }
        tokens = min(capacity, tokens + (now - updated) * rate)
        updated = now
    }

    /// Seconds until the bucket admits a request (0 when it does now). Call after ``refill(now:)``.
    /// A hair below one token counts as one, so rounding in the refill never costs a whole wait.
    public var wait: Double {
        tokens >= 1 - Self.epsilon ? 0 : (1 - tokens) / rate
    }

    /// Rounding tolerance on token counts.
    static let epsilon = 1e-9

    /// Takes `amount` tokens (the balance may go negative).
    public mutating func take(_ amount: Double) {
        tokens -= amount
    }

    /// True when the bucket would be full again at `now` (so forgetting it changes nothing).
    public func isFull(at now: Double) -> Bool {
        tokens + max(0, now - updated) * rate >= capacity
    }
}
