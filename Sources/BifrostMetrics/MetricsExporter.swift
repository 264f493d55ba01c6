import BifrostHTTP
import Prometheus
import Synchronization

/// Owns the metrics registry and renders it for `GET /metrics`.
///
/// Wiring: make one exporter (with the configured custom labels), register ``makePlugin()`` as the
/// `prometheus` plugin, pass ``makeHTTPMetrics(routeLabel:)`` as the `HTTPServer`'s observer, and
/// answer `GET /metrics` with ``response()`` (or ``exposition()`` and ``contentType``).
public final class MetricsExporter: Sendable {
    /// The Prometheus text format's content type.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    public let registry: PrometheusCollectorRegistry
    /// The custom labels shared by the plugin and the HTTP metrics this exporter makes.
    public let customLabels: CustomLabels
    private let process: ProcessMetrics?
    /// The last exposition's size, to size the next one's buffer.
    private let lastSize = Atomic<Int>(4096)

    /// - Parameters:
    ///   - registry: the registry to emit (a fresh one by default).
    ///   - customLabels: the configured custom label names (see ``CustomLabels``).
    ///   - processMetrics: add the `process_*` metrics, refreshed at each exposition.
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), customLabels: [String] = [],
                processMetrics: Bool = true) {
        self.registry = registry
        self.customLabels = CustomLabels(customLabels)
        process = processMetrics ? ProcessMetrics(registry: registry) : nil
    }

    /// The `prometheus` plugin, recording into this exporter's registry with its custom labels.
    public func makePlugin() -> PrometheusPlugin {
        PrometheusPlugin(registry: registry, labels: customLabels)
    }

    /// The HTTP server observer, recording into this exporter's registry with its custom labels.
    public func makeHTTPMetrics(routeLabel: @escaping @Sendable (String) -> String) -> HTTPMetrics {
        HTTPMetrics(registry: registry, labels: customLabels, routeLabel: routeLabel)
    }

    /// The exposition text (process metrics refreshed first). Family order is not stable.
    public func exposition() -> [UInt8] {
        process?.update()
        var buffer: [UInt8] = []
        buffer.reserveCapacity(lastSize.load(ordering: .relaxed) + 1024)
        registry.emit(into: &buffer)
        lastSize.store(buffer.count, ordering: .relaxed)
        return buffer
    }

    /// `200` with the exposition and ``contentType``, for `GET /metrics`.
    public func response() -> HTTPResponse {
        HTTPResponse(status: .ok, headers: HTTPHeaders([("Content-Type", Self.contentType)]), body: exposition())
    }
}
