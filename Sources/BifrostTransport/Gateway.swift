import BifrostCore
import BifrostHTTP
import BifrostIO
import BifrostMetrics
import BifrostPluginKit
import BifrostPluginLoader
import BifrostProviders
import BifrostRedis
import BifrostTLS
import Dispatch
import Logging

/// Command-line settings that shape the gateway beyond `config.json`.
public struct GatewayOptions: Sendable {
    /// Serve HTTPS with this certificate and key.
    public var tls: TLSServerConfiguration?
    /// `-pool-size`: upstream connections kept open per provider host, shared out over the event
    /// loops (each loop's pool holds `poolSize / loops`, rounded up); further calls wait for one.
    public var poolSize = 300
    /// `-drop-excess-requests`: a full provider queue answers 503 at once instead of waiting.
    public var dropExcessRequests = false
    /// `-busy-poll`: how long a lightly loaded event loop polls before it sleeps (off by default).
    public var busyPoll = BusyPoll.off
    /// `-prometheus-labels`: extra metric labels, read from `x-bf-prom-<name>` headers.
    public var prometheusLabels: [String] = []
    /// TLS for upstream calls (verification on, system trust store unless a CA file is given).
    public var upstreamTLS = TLSClientConfiguration()
    /// Plugins from `config.json`, compiled by ``PluginLoader/prepare(_:)``: opened and initialized
    /// while the gateway is built (after its event loops exist), and run first, in order.
    public var preparedPlugins: [PreparedPlugin] = []
    /// Plugins to run before the built-in ones, in order (direct instantiation).
    public var plugins: [any Plugin] = []
    /// Where the line per request goes (swift-log unless the embedder gives a faster sink).
    public var accessLog = AccessLog.logger

    public init() {}
}

/// The running gateway: event loops, the HTTP server, the upstream client, the engine and the routes.
public final class Gateway: Sendable {
    public let group: EventLoopGroup
    public let server: HTTPServer
    public let engine: Bifrost
    public let client: HTTPClient
    public let metrics: MetricsExporter
    private let logger: Logger
    private let scheme: String
    private let warnings: [String]

    /// Builds the gateway from `config`, listening on `host:port` (the command line wins over the file).
    public init(config: GatewayConfig, host: String, port: Int, options: GatewayOptions = GatewayOptions(), logger: Logger) throws {
        var serverConfiguration = config.server
        serverConfiguration.host = host
        serverConfiguration.port = port
        let tlsContext = try options.tls.map { try TLSContext(server: $0) }
        let loopCount = config.eventLoops ?? EventLoopGroup.defaultLoopCount
        group = try EventLoopGroup(loopCount: loopCount, busyPoll: options.busyPoll)
        // Plugins reach Redis through PluginServices: a client on these loops (installed before any plugin's Init).
        PluginServices.installRedis(EventLoopRedisClient.factory(group: group))
        let pluginLogger = logger
        PluginLog.install { level, plugin, message in
            let swiftLevel: Logger.Level = switch level {
            case .debug: .debug
            case .info: .info
            case .warning: .warning
            case .error: .error
            }
            pluginLogger.log(level: swiftLevel, "\(message)", metadata: ["plugin": "\(plugin)"])
        }
        var clientConfiguration = HTTPClientConfiguration()
        clientConfiguration.tls = options.upstreamTLS
        clientConfiguration.maxConnectionsPerOrigin = Self.connectionsPerLoop(poolSize: options.poolSize, loops: loopCount)
        client = try HTTPClient(group: group, configuration: clientConfiguration, logger: logger)
        var engineOptions = BifrostOptions()
        engineOptions.dropExcessRequests = options.dropExcessRequests
        engineOptions.logger = logger
        metrics = MetricsExporter(customLabels: options.prometheusLabels)
        for (name, reason) in metrics.customLabels.ignored {
            logger.warning("prometheus label ignored", metadata: ["label": "\(name)", "reason": "\(reason)"])
        }
        // Order: plugins from config.json, then directly given ones, then the built-in Prometheus plugin.
        var loaded: [any Plugin] = []
        for prepared in options.preparedPlugins {
            loaded.append(try prepared.instantiate())
            logger.info("plugin loaded", metadata: ["plugin": "\(prepared.name)", "cached": "\(prepared.fromCache)"])
        }
        engine = Bifrost(account: StaticAccount(config.engine.providers), providers: ProviderCatalog.factory(client: client),
                         plugins: loaded + options.plugins + [metrics.makePlugin()], options: engineOptions)
        var router = Gateway.routes(engine: engine, providers: config.engine.providers, logger: logger,
                                    accessLog: options.accessLog)
        let exporter = metrics
        router.add("GET", "/metrics") { _, responder in responder.send(exporter.response()) }
        let routes = router
        let observer = metrics.makeHTTPMetrics { routes.label(for: $0) ?? HTTPMetrics.unmatched }
        server = HTTPServer(configuration: serverConfiguration, group: group, handler: router, tls: tlsContext,
                            logger: logger, observer: observer)
        scheme = tlsContext == nil ? "http" : "https"
        self.logger = logger
        warnings = config.engine.warnings
    }

    /// The gateway's routes.
    /// Each loop's share of the `-pool-size` upstream connections per provider host (at least one).
    public static func connectionsPerLoop(poolSize: Int, loops: Int) -> Int {
        max(1, (poolSize + max(1, loops) - 1) / max(1, loops))
    }

    static func routes(engine: Bifrost, providers: [String: ProviderConfig], logger: Logger,
                       accessLog: AccessLog = .logger) -> Router {
        var router = Router()
        let health = HTTPResponse.json(.ok, "{\"status\":\"ok\"}")
        router.add("GET", "/health") { _, responder in responder.send(health) }
        CompletionRoutes(engine: engine, logger: logger, accessLog: logger.logLevel <= .info ? accessLog : nil,
                         providers: Set(providers.keys)).register(into: &router)
        let models = ModelList.response(for: providers)
        router.add("GET", "/v1/models") { _, responder in responder.send(models) }
        router.add("GET", "/openai/v1/models") { _, responder in responder.send(models) }
        return router
    }

    /// Binds and starts serving.
    public func start() throws {
        for warning in warnings { logger.warning("\(warning)") }
        try server.start()
        logger.info("bifrost-http listening", metadata: [
            "address": "\(server.configuration.host):\(server.port)",
            "scheme": "\(scheme)",
            "event_loops": "\(group.loops.count)",
        ])
    }

    /// Graceful stop: no new connections, in-flight requests finish within the grace period, then
    /// plugins are cleaned up and the loops stop. Blocks the calling thread.
    public func stop() {
        let grace = server.configuration.shutdownGracePeriod
        logger.info("shutting down; waiting for in-flight requests", metadata: ["grace_period_seconds": "\(grace)"])
        server.shutdown()
        let done = DispatchSemaphore(value: 0)
        let engine = self.engine
        // On a loop thread, not Swift's cooperative pool: the caller may be blocking a pool thread.
        Task(executorPreference: group.loops[0]) {
            await engine.shutdown(gracePeriod: .milliseconds(Int64(grace * 1000)))
            done.signal()
        }
        done.wait()
        group.shutdown()
        logger.info("stopped")
    }
}

/// `GET /v1/models`: every `provider/model` named by a configured key.
enum ModelList {
    static func response(for providers: [String: ProviderConfig]) -> HTTPResponse {
        var entries: [String] = []
        for (provider, config) in providers.sorted(by: { $0.key < $1.key }) {
            let models = Set(config.keys.flatMap(\.models)).sorted()
            for model in models {
                entries.append("{\"id\":\(JSONString.quote("\(provider)/\(model)")),\"object\":\"model\",\"created\":0,\"owned_by\":\(JSONString.quote(provider))}")
            }
        }
        return .json(.ok, "{\"object\":\"list\",\"data\":[\(entries.joined(separator: ","))]}")
    }
}
