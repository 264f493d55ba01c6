import BifrostHTTP
import Prometheus

/// HTTP exchange metrics, fed by the server as its ``HTTPExchangeObserver``.
///
/// | metric | type |
/// |---|---|
/// | `http_requests_total` | counter |
/// | `http_request_duration_seconds` | histogram (.005 … 90 s) |
/// | `http_request_size_bytes` | histogram (100 B … 1 GB, powers of ten) |
/// | `http_response_size_bytes` | histogram (100 B … 1 GB, powers of ten) |
///
/// Labels `path`, `method`, `status`, then the custom labels (values from `x-bf-prom-<name>`).
/// Every label is bounded unless a custom label's values are not: `path` is the route the
/// `routeLabel` closure names (never the raw path; `unmatched` for requests that were not read),
/// `method` is a standard method or `OTHER`, `status` a status code.
public final class HTTPMetrics: HTTPExchangeObserver {
    /// The `path` value for requests no route matched.
    public static let unmatched = "unmatched"

    public let customLabels: CustomLabels
    private let routeLabel: @Sendable (String) -> String
    private let series: SeriesCache<Series>

    private final class Series: Sendable {
        let requests: Counter
        let duration: ValueHistogram
        let requestSize: ValueHistogram
        let responseSize: ValueHistogram

        init(registry: PrometheusCollectorRegistry, labels: [(String, String)]) {
            requests = registry.makeCounter(descriptor: Names.requests, labels: labels)
            duration = registry.makeValueHistogram(descriptor: Names.duration, labels: labels, buckets: Metric.latencyBuckets)
            requestSize = registry.makeValueHistogram(descriptor: Names.requestSize, labels: labels, buckets: Metric.sizeBuckets)
            responseSize = registry.makeValueHistogram(descriptor: Names.responseSize, labels: labels, buckets: Metric.sizeBuckets)
        }
    }

    enum Names {
        static var requests: MetricNameDescriptor { Metric.name("http_requests_total", "Total number of HTTP requests.") }
        static var duration: MetricNameDescriptor { Metric.name("http_request_duration_seconds",
                                          "Duration of HTTP requests, from their first byte to the last byte of the response.") }
        static var requestSize: MetricNameDescriptor { Metric.name("http_request_size_bytes", "Size of HTTP requests (head and body).") }
        static var responseSize: MetricNameDescriptor { Metric.name("http_response_size_bytes", "Size of HTTP responses (head and body).") }
    }

    /// - Parameters:
    ///   - registry: where the metrics live.
    ///   - customLabels: the configured custom label names (see ``CustomLabels``).
    ///   - routeLabel: maps a request path (query removed) to its route pattern, or to
    ///     ``unmatched`` when no route matches. Called on the event loop: keep it cheap.
    public convenience init(registry: PrometheusCollectorRegistry, customLabels: [String] = [],
                            routeLabel: @escaping @Sendable (String) -> String) {
        self.init(registry: registry, labels: CustomLabels(customLabels), routeLabel: routeLabel)
    }

    public init(registry: PrometheusCollectorRegistry, labels: CustomLabels,
                routeLabel: @escaping @Sendable (String) -> String) {
        customLabels = labels
        self.routeLabel = routeLabel
        let names = ["path", "method", "status"] + labels.names
        // `path` (a route or `unmatched`) and `status` are bounded; method and custom values come from clients.
        series = SeriesCache(boundedIndices: [0, 2]) { values in Series(registry: registry, labels: Metric.labels(names, values)) }
    }

    public func exchangeCompleted(_ exchange: HTTPExchangeRecord) {
        let route: String
        if let matched = exchange.route {
            route = matched
        } else {
            let path = exchange.path
            route = exchange.method.isEmpty || path.isEmpty ? Self.unmatched : routeLabel(String(path))
        }
        let method = Self.methodLabel(exchange.method), status = Self.statusLabel(exchange.status)
        let metrics = customLabels.isEmpty ? series(route, method, status)
                                           : series([route, method, status] + customLabels.values(from: exchange.headers))
        metrics.requests.increment()
        metrics.duration.record(exchange.durationSeconds)
        metrics.requestSize.record(Double(max(0, exchange.requestBytes)))
        metrics.responseSize.record(Double(max(0, exchange.responseBytes)))
    }

    /// Status codes as label values, made once (`String(Int)` per request went through the generic
    /// `description` path).
    private static let statusLabels: [String] = (0..<600).map { String($0) }

    static func statusLabel(_ status: Int) -> String {
        statusLabels.indices.contains(status) ? statusLabels[status] : String(status)
    }

    /// The standard methods keep their name; any other token (or none) is `OTHER`.
    static func methodLabel(_ method: String) -> String {
        switch method {
        case "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE": method
        default: "OTHER"
        }
    }
}
