import BifrostCore
import BifrostIO
import BifrostPluginKit
import Prometheus
import Synchronization

/// The built-in `prometheus` plugin: upstream call metrics named as Bifrost names them.
///
/// Labels `provider`, `model`, `method` (the request kind: `chat_completion`, `text_completion`,
/// `embedding`), then the custom labels (see ``CustomLabels``), whose values come from the inbound
/// `x-bf-prom-<name>` headers. `bifrost_error_requests_total` adds `status_code` after `method`.
///
/// | metric | type | recorded |
/// |---|---|---|
/// | `bifrost_upstream_requests_total` | counter | every call (success or error) |
/// | `bifrost_upstream_latency_seconds` | histogram | every call, PreHook to PostHook |
/// | `bifrost_success_requests_total` | counter | calls answered with a response |
/// | `bifrost_error_requests_total` | counter | calls that failed, by HTTP status |
/// | `bifrost_input_tokens_total`, `bifrost_output_tokens_total` | counter | a response's usage |
/// | `bifrost_stream_first_token_latency_seconds` | histogram | streams (`BifrostContext.measurements.firstChunkLatency`) |
/// | `bifrost_queue_wait_seconds` | histogram | calls that got a queue turn (`BifrostContext.measurements.queueWait`) |
///
/// The PreHook stores the start time (and what the request targets) in the context; the PostHook
/// records. With fallbacks each attempt is its own call, labelled with its own provider and model.
public final class PrometheusPlugin: SynchronousPluginHooks {
    public let name = "prometheus"
    public let customLabels: CustomLabels

    /// Where the PreHook leaves the attempt's start for the PostHook.
    static let attemptKey = "bifrost.prometheus.attempt"

    /// A class: the context keeps it as `any Sendable`, where a struct this size would be boxed in
    /// an allocation of its own and copied out (a retain per string) on the way back.
    private final class Attempt: Sendable {
        /// `MonotonicClock` nanoseconds.
        let start: UInt64
        let provider: String
        let model: String
        let method: String

        init(start: UInt64, provider: String, model: String, method: String) {
            self.start = start
            self.provider = provider
            self.model = model
            self.method = method
        }
    }

    private final class Series: Sendable {
        let requests: Counter
        let latency: ValueHistogram
        let success: Counter
        let inputTokens: Counter
        let outputTokens: Counter
        private let registry: PrometheusCollectorRegistry
        private let labels: [(String, String)]
        /// Histograms only some calls feed, created when first needed.
        private let optional = Mutex<(firstToken: ValueHistogram?, queueWait: ValueHistogram?)>((nil, nil))

        init(registry: PrometheusCollectorRegistry, labels: [(String, String)]) {
            self.registry = registry
            self.labels = labels
            requests = registry.makeCounter(descriptor: Names.requests, labels: labels)
            latency = registry.makeValueHistogram(descriptor: Names.latency, labels: labels, buckets: Metric.latencyBuckets)
            success = registry.makeCounter(descriptor: Names.success, labels: labels)
            inputTokens = registry.makeCounter(descriptor: Names.inputTokens, labels: labels)
            outputTokens = registry.makeCounter(descriptor: Names.outputTokens, labels: labels)
        }

        var firstToken: ValueHistogram {
            optional.withLock { state in
                if let existing = state.firstToken { return existing }
                let created = registry.makeValueHistogram(descriptor: Names.firstToken, labels: labels,
                                                             buckets: Metric.latencyBuckets)
                state.firstToken = created
                return created
            }
        }

        var queueWait: ValueHistogram {
            optional.withLock { state in
                if let existing = state.queueWait { return existing }
                let created = registry.makeValueHistogram(descriptor: Names.queueWait, labels: labels,
                                                             buckets: Metric.latencyBuckets)
                state.queueWait = created
                return created
            }
        }
    }

    enum Names {
        static var requests: MetricNameDescriptor { Metric.name("bifrost_upstream_requests_total",
                                          "Total number of requests forwarded to upstream providers by Bifrost.") }
        static var latency: MetricNameDescriptor { Metric.name("bifrost_upstream_latency_seconds",
                                         "Latency of requests forwarded to upstream providers by Bifrost.") }
        static var success: MetricNameDescriptor { Metric.name("bifrost_success_requests_total",
                                         "Total number of successful requests forwarded to upstream providers by Bifrost.") }
        static var errors: MetricNameDescriptor { Metric.name("bifrost_error_requests_total",
                                        "Total number of error requests forwarded to upstream providers by Bifrost.") }
        static var inputTokens: MetricNameDescriptor { Metric.name("bifrost_input_tokens_total",
                                             "Total number of input tokens forwarded to upstream providers by Bifrost.") }
        static var outputTokens: MetricNameDescriptor { Metric.name("bifrost_output_tokens_total",
                                              "Total number of output tokens received from upstream providers by Bifrost.") }
        static var firstToken: MetricNameDescriptor { Metric.name("bifrost_stream_first_token_latency_seconds",
                                            "Latency of the first token of a stream response.") }
        static var queueWait: MetricNameDescriptor { Metric.name("bifrost_queue_wait_seconds",
                                           "Time requests waited for a turn in their provider's queue.") }
    }

    private let series: SeriesCache<Series>
    private let errors: SeriesCache<Counter>

    /// - Parameters:
    ///   - registry: where the metrics live (the one ``MetricsExporter`` emits).
    ///   - customLabels: the configured custom label names (see ``CustomLabels`` for the rules).
    public convenience init(registry: PrometheusCollectorRegistry, customLabels: [String] = []) {
        self.init(registry: registry, labels: CustomLabels(customLabels))
    }

    public init(registry: PrometheusCollectorRegistry, labels: CustomLabels) {
        customLabels = labels
        let names = ["provider", "model", "method"] + labels.names
        let errorNames = ["provider", "model", "method", "status_code"] + labels.names
        // Only `method` (and `status_code` for errors) is bounded; provider, model and custom values come from clients.
        series = SeriesCache(boundedIndices: [2]) { values in Series(registry: registry, labels: Metric.labels(names, values)) }
        errors = SeriesCache(boundedIndices: [2, 3]) { values in
            registry.makeCounter(descriptor: Names.errors, labels: Metric.labels(errorNames, values))
        }
    }

    public func preHook(_ context: BifrostContext, _ request: BifrostRequest) async throws -> (BifrostRequest, PluginShortCircuit?) {
        preHookNow(context, request)
    }

    public func postHook(_ context: BifrostContext, _ response: BifrostResponse?, _ error: BifrostError?) async throws
        -> (BifrostResponse?, BifrostError?) {
        postHookNow(context, response, error)
    }

    // The engine calls these directly (see ``SynchronousPluginHooks``).

    public func preHookNow(_ context: BifrostContext, _ request: BifrostRequest) -> (BifrostRequest, PluginShortCircuit?) {
        context.set(Self.attemptKey, Attempt(
            start: MonotonicClock.now(), provider: request.provider, model: request.model, method: request.input.kind.rawValue))
        return (request, nil)
    }

    public func postHookNow(_ context: BifrostContext, _ response: BifrostResponse?, _ error: BifrostError?)
        -> (BifrostResponse?, BifrostError?) {
        // The attempt stays in the context: a later attempt's PreHook replaces it, and this PostHook
        // only runs after this plugin's PreHook ran for the same attempt.
        guard let attempt = context.value(Self.attemptKey, as: Attempt.self) else { return (response, error) }
        let now = MonotonicClock.now()
        let elapsed = now > attempt.start ? Double(now &- attempt.start) / 1e9 : 0

        var provider = attempt.provider
        var model = attempt.model
        if error == nil, let fields = response?.extraFields {
            // The provider and model that actually answered.
            if !fields.provider.isEmpty { provider = fields.provider }
            if !fields.model.isEmpty { model = fields.model }
        }
        let custom = customLabels.isEmpty ? [] : customLabels.values(from: context.headers)
        let metrics = custom.isEmpty ? series(provider, model, attempt.method) : series([provider, model, attempt.method] + custom)

        metrics.requests.increment()
        metrics.latency.record(elapsed)
        if let error {
            errors([provider, model, attempt.method, String(error.httpStatus)] + custom).increment()
        } else if let response {
            metrics.success.increment()
            if let usage = response.usage {
                metrics.inputTokens.increment(by: Int64(max(0, usage.promptTokens)))
                metrics.outputTokens.increment(by: Int64(max(0, usage.completionTokens)))
            }
        }
        // The engine starts every attempt with fresh measurements, so these are this attempt's.
        let measured = context.measurements
        if let wait = measured.queueWait { metrics.queueWait.record(wait.clampedSeconds) }
        if let first = measured.firstChunkLatency { metrics.firstToken.record(first.clampedSeconds) }
        return (response, error)
    }
}
