import ArgumentParser
import BifrostCLI
import BifrostIO
import BifrostPluginLoader
import BifrostTransport
import Foundation
import Glibc
import Logging

/// `bifrost-http`: the gateway executable. Flags follow Go style (`-port 8080`); `--port` works too.
struct BifrostHTTPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bifrost-http",
        abstract: "Bifrost, the LLM gateway: an OpenAI-compatible HTTP front for many providers.",
        discussion: "SIGTERM or SIGINT stops accepting connections, lets in-flight requests finish within the "
            + "grace period (server.shutdown_grace_period_seconds), then exits 0."
    )

    @Option(name: [.customLong("config", withSingleDash: true), .customLong("config")],
            help: "Path to config.json.")
    var config: String = "config.json"

    @Option(name: [.customLong("host", withSingleDash: true), .customLong("host")],
            help: "Address to listen on (IPv4 or IPv6).")
    var host: String = "0.0.0.0"

    @Option(name: [.customLong("port", withSingleDash: true), .customLong("port")],
            help: "Port to listen on.")
    var port: Int = 8080

    @OptionGroup var server: ServerFlags

    @Option(name: [.customLong("pool-size", withSingleDash: true), .customLong("pool-size")],
            help: "Upstream connections kept open per provider host, split over the event loops.")
    var poolSize: Int = 300

    @Flag(name: [.customLong("drop-excess-requests", withSingleDash: true), .customLong("drop-excess-requests")],
          help: "Answer 503 at once when a provider's queue is full, instead of waiting for room.")
    var dropExcessRequests = false

    @Option(name: [.customLong("prometheus-labels", withSingleDash: true), .customLong("prometheus-labels")],
            help: "Comma-separated extra metric labels, each read from the request header x-bf-prom-<name>.")
    var prometheusLabels: String = ""

    @Option(name: [.customLong("busy-poll", withSingleDash: true), .customLong("busy-poll")],
            help: ArgumentHelp("Microseconds a lightly loaded event loop polls before it sleeps (0: off). "
                + "Cuts latency at low load, mostly on virtual machines, for CPU time.", valueName: "microseconds"))
    var busyPoll: Int = 0

    mutating func validate() throws {
        guard (0...BusyPoll.maximumMicroseconds).contains(busyPoll) else {
            throw ValidationError("-busy-poll \(busyPoll) must be 0 to \(BusyPoll.maximumMicroseconds) microseconds")
        }
        guard (1...1_000_000).contains(poolSize) else { throw ValidationError("-pool-size \(poolSize) must be 1 to 1000000") }
        for label in Self.labels(prometheusLabels)
        where !label.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) || label.first!.isNumber {
            throw ValidationError("-prometheus-labels: \"\(label)\" is not a valid Prometheus label name")
        }
        try ServerFlags.validate(port: port)
    }

    func run() throws {
        CommandLineSupport.bootstrapLogging(flag: server.logLevel)
        let logger = Logger(label: "bifrost")
        logger.debug("glibc thread cache: \(ThreadCacheTuning.blocksInEffect.map(String.init) ?? "default") blocks per size")

        let gatewayConfig: GatewayConfig
        do {
            gatewayConfig = try GatewayConfig.load(path: config)
        } catch {
            logger.critical("invalid configuration: \(error)")
            throw ExitCode(2)
        }

        // Compile (or find in the cache) the plugins of config.json before anything listens.
        let preparedPlugins: [PreparedPlugin]
        do {
            preparedPlugins = try PluginLoader(configDirectory: gatewayConfig.directory, logger: logger)
                .prepare(gatewayConfig.engine.plugins)
        } catch {
            logger.critical("cannot load plugins: \(error)")
            throw ExitCode(2)
        }

        let stopSignals = StopSignals.block()

        let gateway: Gateway
        do {
            var options = GatewayOptions()
            options.tls = server.tls
            options.poolSize = poolSize
            options.dropExcessRequests = dropExcessRequests
            options.busyPoll = BusyPoll(microseconds: busyPoll)
            options.prometheusLabels = Self.labels(prometheusLabels)
            options.preparedPlugins = preparedPlugins
            // The line per request, in the same format, written without swift-log's metadata dictionary.
            let label = logger.label
            options.accessLog = .sink { record in
                LineLogHandler.writeLine(level: .info, label: label, source: "BifrostTransport", message: "request") { line in
                    record.write(to: &line)
                }
            }
            gateway = try Gateway(config: gatewayConfig, host: host, port: port, options: options, logger: logger)
            try gateway.start()
        } catch let error as PluginLoadError {
            logger.critical("cannot load plugins: \(error)")
            throw ExitCode(2)
        } catch {
            logger.critical("cannot start: \(error)")
            throw ExitCode(1)
        }

        // Wait first: the log message is only built when info logging is on.
        let signal = stopSignals.wait()
        logger.info("received \(signal)")
        gateway.stop()
    }

    /// `-prometheus-labels`: split on commas, trimmed, lowercased, empties dropped.
    static func labels(_ flag: String) -> [String] {
        flag.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
    }
}

extension LogLine: AccessFieldWriter {}

ThreadCacheTuning.applyByRestarting()
BifrostHTTPCommand.main()
