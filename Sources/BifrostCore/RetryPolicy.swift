import BifrostPluginKit

/// When to retry a failed provider call, and how long to wait first.
public struct RetryPolicy: Sendable {
    public let maxRetries: Int
    public let initialBackoff: Duration
    public let maxBackoff: Duration

    public init(network: NetworkConfig) {
        maxRetries = max(0, network.maxRetries)
        initialBackoff = network.retryBackoffInitial
        maxBackoff = network.retryBackoffMax
    }

    /// Statuses worth another try: rate limits and transient upstream failures (529 is Anthropic's
    /// "overloaded", retried like 503).
    public static let retryableStatuses: Set<Int> = [429, 500, 502, 503, 504, 529]

    /// True when `error` (after `attempt` retries) may be retried. Network and timeout failures
    /// (gateway errors of type `network`/`timeout`) retry; other 4xx and cancellation never do.
    public func shouldRetry(_ error: BifrostError, attempt: Int) -> Bool {
        guard attempt < maxRetries else { return false }
        if error.error.type == "cancelled" { return false }
        if let status = error.statusCode { return Self.retryableStatuses.contains(status) }
        return error.error.type == "network" || error.error.type == "timeout"
    }

    /// The wait before retry number `attempt + 1`: exponential from the initial backoff, capped,
    /// ±20% jitter; a provider's `Retry-After` is honoured up to the cap.
    public func delay<R: RandomNumberGenerator>(attempt: Int, retryAfter: Double?, using generator: inout R) -> Duration {
        let cap = seconds(maxBackoff)
        if let retryAfter, retryAfter > 0 { return .milliseconds(Int64(min(retryAfter, cap) * 1000)) }
        let base = min(seconds(initialBackoff) * pow2(attempt), cap)
        let jittered = base * Double.random(in: 0.8...1.2, using: &generator)
        return .milliseconds(Int64(min(jittered, cap) * 1000))
    }

    private func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    private func pow2(_ exponent: Int) -> Double {
        exponent >= 62 ? .greatestFiniteMagnitude : Double(1 << exponent)
    }
}
