import BifrostHTTP
import BifrostIO
import BifrostTLS
import Logging

/// The running gateway: event loops, the HTTP server and its routes.
public final class Gateway: Sendable {
    public let group: EventLoopGroup
    public let server: HTTPServer
    private let logger: Logger
    private let scheme: String
    private let warnings: [String]

    /// Builds the gateway from `config`, listening on `host:port` (the command line wins over the file).
    /// With `tls`, the listener serves HTTPS.
    public init(config: GatewayConfig, host: String, port: Int, tls: TLSServerConfiguration? = nil, logger: Logger) throws {
        var serverConfiguration = config.server
        serverConfiguration.host = host
        serverConfiguration.port = port
        let tlsContext = try tls.map { try TLSContext(server: $0) }
        group = try EventLoopGroup(loopCount: config.eventLoops ?? EventLoopGroup.defaultLoopCount)
        server = HTTPServer(configuration: serverConfiguration, group: group, handler: Gateway.routes(),
                            tls: tlsContext, logger: logger)
        scheme = tlsContext == nil ? "http" : "https"
        self.logger = logger
        warnings = config.engine.warnings
    }

    /// The gateway's routes.
    public static func routes() -> Router {
        var router = Router()
        let health = HTTPResponse.json(.ok, "{\"status\":\"ok\"}")
        router.add("GET", "/health") { _, responder in responder.send(health) }
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

    /// Graceful stop: no new connections, in-flight requests finish within the grace period, loops stop.
    public func stop() {
        logger.info("shutting down; waiting for in-flight requests",
                    metadata: ["grace_period_seconds": "\(server.configuration.shutdownGracePeriod)"])
        server.shutdown()
        group.shutdown()
        logger.info("stopped")
    }
}
