import ArgumentParser
import BifrostCLI
import BifrostHTTP
import BifrostIO
import BifrostMock
import BifrostTLS
import Glibc
import Logging

/// `bifrost-mock`: an OpenAI- and Anthropic-compatible provider that answers from memory, with
/// latency and fault injection, for tests, benchmarks and the demo. Go-style flags (`-port 8081`);
/// `--port` works too.
struct BifrostMockCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bifrost-mock",
        abstract: "A mock LLM provider (OpenAI and Anthropic APIs) with latency and fault injection.",
        discussion: """
            Routes: POST /v1/chat/completions, /v1/completions, /v1/embeddings, /v1/messages; GET /v1/models, /mock/stats.
            Per request: x-mock-latency-ms, x-mock-fault (or model "mock-fault-<fault>"), x-mock-stall-ms, x-mock-drip-ms, x-mock-chunks.
            Faults: status-<code>, 429, reset, stall-headers, stall-stream, malformed-json, gzip, deflate, slow-drip.
            SIGTERM or SIGINT stops accepting, gives in-flight requests up to 5 s, then exits 0.
            """
    )

    @Option(name: [.customLong("host", withSingleDash: true), .customLong("host")],
            help: "Address to listen on (IPv4 or IPv6).")
    var host: String = "127.0.0.1"

    @Option(name: [.customLong("port", withSingleDash: true), .customLong("port")],
            help: "Port to listen on; 0 picks a free one (logged).")
    var port: Int = 8081

    @Option(name: [.customLong("latency-ms", withSingleDash: true), .customLong("latency-ms")],
            help: "Delay before every response, in milliseconds (x-mock-latency-ms overrides it).")
    var latencyMilliseconds: Int = 0

    @Option(name: [.customLong("stall-ms", withSingleDash: true), .customLong("stall-ms")],
            help: "Default stall of the stall-headers and stall-stream faults, in milliseconds.")
    var stallMilliseconds: Int = 30_000

    @Option(name: [.customLong("drip-ms", withSingleDash: true), .customLong("drip-ms")],
            help: "Default pause between events of the slow-drip fault, in milliseconds.")
    var dripMilliseconds: Int = 100

    @Option(name: [.customLong("embedding-dimensions", withSingleDash: true), .customLong("embedding-dimensions")],
            help: "Length of each embedding vector (OpenAI's text-embedding-3-small has 1536).")
    var embeddingDimensions: Int = 8

    @Option(name: [.customLong("event-loops", withSingleDash: true), .customLong("event-loops")],
            help: "Event loop threads (default: one per core).")
    var eventLoops: Int?

    @OptionGroup var flags: ServerFlags

    /// In-flight requests (a stalled one, say) get this long on SIGTERM/SIGINT.
    static let shutdownGraceSeconds: Double = 5

    mutating func validate() throws {
        try ServerFlags.validate(port: port)
        for (flag, value) in [("-latency-ms", latencyMilliseconds), ("-stall-ms", stallMilliseconds), ("-drip-ms", dripMilliseconds)]
        where !(0...3_600_000).contains(value) {
            throw ValidationError("\(flag) \(value) is out of range (0-3600000)")
        }
        if !(1...65_536).contains(embeddingDimensions) {
            throw ValidationError("-embedding-dimensions \(embeddingDimensions) is out of range (1-65536)")
        }
        if let eventLoops, !(1...1024).contains(eventLoops) {
            throw ValidationError("-event-loops \(eventLoops) is out of range (1-1024)")
        }
    }

    func run() throws {
        CommandLineSupport.bootstrapLogging(flag: flags.logLevel)
        let logger = Logger(label: "bifrost-mock")

        let stopSignals = StopSignals.block()

        var configuration = HTTPServerConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.maxConnections = 65_536
        configuration.shutdownGracePeriod = Self.shutdownGraceSeconds
        let provider = MockProvider(options: MockOptions(
            latencyMilliseconds: latencyMilliseconds, stallMilliseconds: stallMilliseconds, dripMilliseconds: dripMilliseconds,
            embeddingDimensions: embeddingDimensions))

        let group: EventLoopGroup
        let server: HTTPServer
        do {
            let tls = try flags.tls.map { try TLSContext(server: $0) }
            group = try EventLoopGroup(loopCount: eventLoops ?? EventLoopGroup.defaultLoopCount, name: "mock-loop")
            server = HTTPServer(configuration: configuration, group: group, handler: provider, tls: tls, logger: logger)
            provider.statistics.attach(server)
            try server.start()
        } catch {
            logger.critical("cannot start: \(error)")
            throw ExitCode(1)
        }
        let address = host.contains(":") ? "[\(host)]" : host
        logger.info("bifrost-mock listening on \(flags.tls == nil ? "http" : "https")://\(address):\(server.port)")

        // Wait first: the log message is only built when info logging is on.
        let signal = stopSignals.wait()
        logger.info("received \(signal); stopping")
        server.shutdown()
        group.shutdown()
        logger.info("stopped")
    }
}

BifrostMockCommand.main()
