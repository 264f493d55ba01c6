@testable import BifrostMetrics
import BifrostHTTP
import BifrostPluginKit
import BifrostTestSupport
import Foundation
import Glibc
import Prometheus
import Testing

/// `promtool` from `$PROMTOOL` or the `PATH` (Debian/Ubuntu package `prometheus`).
let promtoolPath: String? = {
    if let path = ProcessInfo.processInfo.environment["PROMTOOL"], access(path, X_OK) == 0 { return path }
    for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
        let path = "\(directory)/promtool"
        if access(path, X_OK) == 0 { return path }
    }
    return nil
}()

@Suite("Exporter and process metrics")
struct ExporterTests {
    @Test func processMetricsAreReadFromProc() throws {
        let exporter = MetricsExporter()
        let busyUntil = ContinuousClock.now + .milliseconds(30)
        var spin = 0
        while ContinuousClock.now < busyUntil { spin &+= 1 }
        let text = String(decoding: exporter.exposition(), as: UTF8.self)
        for (name, type) in [("process_cpu_seconds_total", "counter"), ("process_resident_memory_bytes", "gauge"),
                             ("process_virtual_memory_bytes", "gauge"), ("process_open_fds", "gauge"),
                             ("process_max_fds", "gauge"), ("process_start_time_seconds", "gauge")] {
            #expect(text.contains("# TYPE \(name) \(type)\n"), "\(name)")
        }
        let cpu = try #require(sampleValue(text, "process_cpu_seconds_total"))
        let resident = try #require(sampleValue(text, "process_resident_memory_bytes"))
        let virtual = try #require(sampleValue(text, "process_virtual_memory_bytes"))
        let openFDs = try #require(sampleValue(text, "process_open_fds"))
        let maxFDs = try #require(sampleValue(text, "process_max_fds"))
        let start = try #require(sampleValue(text, "process_start_time_seconds"))
        #expect(cpu > 0)
        #expect(resident > 1_000_000)
        #expect(virtual >= resident)
        #expect(openFDs >= 3)
        #expect(maxFDs >= openFDs)
        let now = Double(time(nil))
        #expect(start <= now + 1 && start > now - 86_400 * 7)

        // CPU time never goes backwards. (Open descriptors are not compared: other suites open
        // and close sockets concurrently.)
        let later = String(decoding: exporter.exposition(), as: UTF8.self)
        #expect(try #require(sampleValue(later, "process_cpu_seconds_total")) >= cpu)
    }

    @Test func statLineWithSpacesAndParenthesesInTheCommandName() throws {
        let line = "4242 (my (odd) name) S 1 4242 4242 0 -1 4194304 100 0 0 0 250 50 0 0 20 0 8 0 12345 104857600 2560 18446744073709551615\n"
        let stat = try #require(ProcStat.parse(line))
        #expect(stat.cpuTicks == 300)
        #expect(stat.startTicks == 12345)
        #expect(stat.virtualBytes == 104_857_600)
        #expect(stat.residentPages == 2560)
        #expect(ProcStat.parse("garbage") == nil)
    }

    @Test func responseCarriesTheExpositionContentType() {
        let exporter = MetricsExporter(processMetrics: false)
        exporter.registry.makeCounter(descriptor: MetricNameDescriptor(metricName: "demo_total", unitName: "", helpText: "Demo.")).increment()
        let response = exporter.response()
        #expect(response.status == .ok)
        #expect(response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
        #expect(String(decoding: response.body, as: UTF8.self) == "# HELP demo_total Demo.\n# TYPE demo_total counter\ndemo_total 1\n")
        #expect(!String(decoding: exporter.exposition(), as: UTF8.self).contains("process_"))
    }

    @Test func exporterSharesItsCustomLabels() async throws {
        let exporter = MetricsExporter(customLabels: ["Team", "provider"], processMetrics: false)
        #expect(exporter.customLabels.names == ["team"])
        let plugin = exporter.makePlugin()
        #expect(plugin.customLabels.names == ["team"])
        let context = BifrostContext(headers: [("x-bf-prom-team", "a")])
        _ = try await plugin.preHook(context, chatRequest())
        _ = try await plugin.postHook(context, chatResponse(), nil)
        let http = exporter.makeHTTPMetrics(routeLabel: testRoutes)
        http.exchangeCompleted(HTTPExchangeRecord(method: "GET", target: "/health", headers: HTTPHeaders([("X-BF-PROM-TEAM", "b")]),
                                                  status: 200, requestBytes: 40, responseBytes: 120, duration: .milliseconds(3)))
        let text = String(decoding: exporter.exposition(), as: UTF8.self)
        #expect(text.contains(#"bifrost_upstream_requests_total{provider="openai",model="gpt-4o",method="chat_completion",team="a"} 1"#))
        #expect(text.contains(#"http_requests_total{path="/health",method="GET",status="200",team="b"} 1"#))
        #expect(text.contains(#"http_request_size_bytes_sum{path="/health",method="GET",status="200",team="b"} 40.0"#))
    }

    @Test func theRouteTheHandlerMatchedIsTheLabelWithoutMatchingThePathAgain() {
        let exporter = MetricsExporter()
        let http = exporter.makeHTTPMetrics { _ in
            Issue.record("the route label should come from the exchange")
            return "wrong"
        }
        http.exchangeCompleted(HTTPExchangeRecord(method: "POST", target: "/genai/v1beta/models/gemini-2.0-flash:generateContent?alt=sse",
                                                  headers: HTTPHeaders(), status: 200, requestBytes: 10, responseBytes: 20,
                                                  duration: .milliseconds(1), route: "/genai/v1beta/models/{model}"))
        let text = String(decoding: exporter.exposition(), as: UTF8.self)
        #expect(text.contains(#"http_requests_total{path="/genai/v1beta/models/{model}",method="POST",status="200"} 1"#))
    }

    @Test(.enabled(if: promtoolPath != nil,
                   "promtool not found: install the Debian/Ubuntu package `prometheus` (or set PROMTOOL=/path/to/promtool)"))
    func fullExpositionPassesPromtool() async throws {
        let exporter = MetricsExporter(customLabels: ["team", "env"])
        let plugin = exporter.makePlugin()
        let tricky = BifrostContext(headers: [("x-bf-prom-team", "q\"uote \\ back\nline"), ("x-bf-prom-env", "prod")])
        _ = try await plugin.preHook(tricky, chatRequest(stream: true))
        tricky.record { $0.queueWait = Duration.milliseconds(12) }
        tricky.record { $0.firstChunkLatency = Duration.milliseconds(340) }
        _ = try await plugin.postHook(tricky, chatResponse(), nil)
        let plain = BifrostContext()
        _ = try await plugin.preHook(plain, BifrostRequest(provider: "anthropic", model: "claude-3", input: .text("x")))
        _ = try await plugin.postHook(plain, nil, BifrostError(message: "limited", statusCode: 429, isBifrostError: false))

        let http = exporter.makeHTTPMetrics(routeLabel: testRoutes)
        let server = try ObservedServer(handler: metricsTestHandler, observer: http)
        try await offPool {
            let client = try server.client()
            for target in ["/health", "/events", "/missing"] {
                try client.send(TestClient.request("GET", target, headers: [("x-bf-prom-team", "ünïcode ✓")]))
                _ = try client.readResponse()
            }
        }
        server.stop()

        let text = exporter.exposition()
        let (status, output) = try await offPool { try runPromtool(["check", "metrics"], input: text) }
        #expect(status == 0, "promtool: \(output)\n\(String(decoding: text, as: UTF8.self))")
        #expect(output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "promtool: \(output)")
        let exposed = String(decoding: text, as: UTF8.self)
        for family in ["bifrost_upstream_requests_total", "bifrost_upstream_latency_seconds", "bifrost_success_requests_total",
                       "bifrost_error_requests_total", "bifrost_input_tokens_total", "bifrost_output_tokens_total",
                       "bifrost_stream_first_token_latency_seconds", "bifrost_queue_wait_seconds", "http_requests_total",
                       "http_request_duration_seconds", "http_request_size_bytes", "http_response_size_bytes",
                       "process_cpu_seconds_total", "process_open_fds"] {
            #expect(exposed.contains("# TYPE \(family) "), "\(family)")
        }
    }
}

/// Runs promtool with `input` on its standard input; returns its exit status and output.
private func runPromtool(_ arguments: [String], input: [UInt8]) throws -> (Int32, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: promtoolPath!)
    process.arguments = arguments
    let stdin = Pipe()
    let stdout = Pipe()
    process.standardInput = stdin
    process.standardOutput = stdout
    process.standardError = stdout
    try process.run()
    stdin.fileHandleForWriting.write(Data(input))
    try stdin.fileHandleForWriting.close()
    let output = stdout.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: output, as: UTF8.self))
}
