import Prometheus
import Synchronization

/// The metric handles of one label set, created on first use and then found with one lookup.
///
/// The registry would return the same handles for the same labels, but through its own lock and
/// a validation of the names each time; this keeps the per-request cost to one hash lookup.
///
/// Label values partly come from clients (the model asked for, `x-bf-prom-*` headers), so the number
/// of label sets is capped: once `limit` sets exist, a new set is counted under a shared overflow set
/// whose client-controlled values read `other` (the values at `boundedIndices`, such as the request
/// kind or the status code, are kept). Memory and `/metrics` stay bounded whatever clients send.
final class SeriesCache<Series: Sendable>: Sendable {
    /// The value that replaces client-controlled label values once the cap is reached.
    static var overflowValue: String { "other" }

    private let state = Mutex(State())
    private struct State {
        var series: [[String]: Series] = [:]
        /// The last label set asked for: traffic repeats its label sets, and comparing a few short
        /// strings is cheaper than hashing them.
        var lastValues: [String] = []
        var last: Series?
    }
    private let make: @Sendable ([String]) -> Series
    private let limit: Int
    private let boundedIndices: Set<Int>

    init(limit: Int = 2_000, boundedIndices: Set<Int> = [], _ make: @escaping @Sendable ([String]) -> Series) {
        self.limit = limit
        self.boundedIndices = boundedIndices
        self.make = make
    }

    /// The series for these label values (in the order the metric declares its labels).
    func callAsFunction(_ values: [String]) -> Series {
        state.withLock { state in
            if let last = state.last, state.lastValues == values { return last }
            let found = find(values, in: &state.series)
            state.lastValues = values
            state.last = found
            return found
        }
    }

    /// The series for three label values (a metric without custom labels): the last set is matched
    /// without building an array, which is only made when the set changes.
    func callAsFunction(_ first: String, _ second: String, _ third: String) -> Series {
        state.withLock { state in
            if let last = state.last, state.lastValues.count == 3,
               state.lastValues[0] == first, state.lastValues[1] == second, state.lastValues[2] == third {
                return last
            }
            let values = [first, second, third]
            let found = find(values, in: &state.series)
            state.lastValues = values
            state.last = found
            return found
        }
    }

    private func find(_ values: [String], in cache: inout [[String]: Series]) -> Series {
        if let existing = cache[values] { return existing }
        var key = values
        if cache.count >= limit {
            for index in key.indices where !boundedIndices.contains(index) { key[index] = Self.overflowValue }
            if let existing = cache[key] { return existing }
        }
        let created = make(key)
        cache[key] = created
        return created
    }

    /// Label sets created so far (overflow sets included).
    var count: Int { state.withLock { $0.series.count } }
}

/// Metric names and buckets shared by the metric groups.
enum Metric {
    static func name(_ fullName: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: fullName, unitName: "", helpText: help)
    }

    /// Upstream latency buckets, in seconds: .005 … 90 (LLM calls run long). Histograms take seconds
    /// as `Double`: comparing `Duration`s (128-bit) against every bucket cost several times more.
    static let latencyBuckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30, 45, 60, 90]

    /// Byte-size buckets: 100 B, 1 kB, … 1 GB (powers of ten).
    static let sizeBuckets: [Double] = [1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9]

    /// Zips label names with values (same order, same count).
    static func labels(_ names: [String], _ values: [String]) -> [(String, String)] {
        Array(zip(names, values))
    }
}

extension Duration {
    /// In seconds; negative durations (clock oddities, bad context values) count as zero.
    var clampedSeconds: Double {
        if self <= .zero { return 0 }
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
