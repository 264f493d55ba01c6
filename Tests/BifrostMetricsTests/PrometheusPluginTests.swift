import BifrostMetrics
import BifrostPluginKit
import Prometheus
import Testing

@Suite("The prometheus plugin")
struct PrometheusPluginTests {
    let registry = PrometheusCollectorRegistry()

    /// Runs the plugin's hooks around `between` (which plays the engine) and returns what PostHook returned.
    @discardableResult
    func call(_ plugin: PrometheusPlugin, _ request: BifrostRequest, context: BifrostContext = BifrostContext(),
              response: BifrostResponse? = nil, error: BifrostError? = nil,
              between: (BifrostContext) async throws -> Void = { _ in }) async throws -> (BifrostResponse?, BifrostError?) {
        let (forwarded, shortCircuit) = try await plugin.preHook(context, request)
        #expect(forwarded == request)
        #expect(shortCircuit == nil)
        try await between(context)
        return try await plugin.postHook(context, response, error)
    }

    @Test func clientChosenModelNamesCannotGrowTheSeriesWithoutBound() async throws {
        let plugin = PrometheusPlugin(registry: registry)
        for index in 0..<2_100 {
            try await call(plugin, chatRequest(model: "random-\(index)"), error: BifrostError(message: "no", statusCode: 404))
        }
        let text = exposition(registry)
        let requestLines = text.split(separator: "\n").filter { $0.hasPrefix("bifrost_upstream_requests_total{") }
        #expect(requestLines.count <= 2_001)
        #expect(text.contains(#"bifrost_upstream_requests_total{provider="other",model="other",method="chat_completion"} 100"#))
        #expect(text.contains(#"bifrost_error_requests_total{provider="other",model="other",method="chat_completion",status_code="404"} 100"#))
        // Label sets seen before the cap keep counting under their own values.
        try await call(plugin, chatRequest(model: "random-7"), error: BifrostError(message: "no", statusCode: 404))
        #expect(exposition(registry).contains(#"bifrost_upstream_requests_total{provider="openai",model="random-7",method="chat_completion"} 2"#))
    }

    /// Series are remembered by their whole label set: alternating sets that share some values each
    /// count under their own labels.
    @Test func alternatingLabelSetsCountSeparately() async throws {
        let plugin = PrometheusPlugin(registry: registry)
        let calls = [("openai", "a"), ("openai", "b"), ("openai", "a"), ("groq", "a"), ("openai", "a")]
        for (provider, model) in calls {
            try await call(plugin, chatRequest(provider: provider, model: model),
                           response: chatResponse(provider: provider, model: model))
        }
        let text = exposition(registry)
        #expect(text.contains(#"bifrost_upstream_requests_total{provider="openai",model="a",method="chat_completion"} 3"#))
        #expect(text.contains(#"bifrost_upstream_requests_total{provider="openai",model="b",method="chat_completion"} 1"#))
        #expect(text.contains(#"bifrost_upstream_requests_total{provider="groq",model="a",method="chat_completion"} 1"#))
    }

    @Test func nameIsPrometheus() {
        #expect(PrometheusPlugin(registry: registry).name == "prometheus")
    }

    @Test func successCountsRequestTokensLatencyAndQueueWait() async throws {
        let plugin = PrometheusPlugin(registry: registry)
        let response = chatResponse(usage: Usage(promptTokens: 10, completionTokens: 5))
        let (returned, returnedError) = try await call(plugin, chatRequest(), response: response) { context in
            try await Task.sleep(for: .milliseconds(20))
            context.record { $0.queueWait = Duration.milliseconds(200) }
        }
        #expect(returned == response)
        #expect(returnedError == nil)
        try await call(plugin, chatRequest(), response: chatResponse(usage: Usage(promptTokens: 3, completionTokens: 4)))

        let text = exposition(registry)
        let labels = #"provider="openai",model="gpt-4o",method="chat_completion""#
        #expect(text.contains("bifrost_upstream_requests_total{\(labels)} 2\n"))
        #expect(text.contains("bifrost_success_requests_total{\(labels)} 2\n"))
        #expect(text.contains("bifrost_input_tokens_total{\(labels)} 13\n"))
        #expect(text.contains("bifrost_output_tokens_total{\(labels)} 9\n"))
        #expect(text.contains("bifrost_upstream_latency_seconds_count{\(labels)} 2\n"))
        #expect((sampleValue(text, "bifrost_upstream_latency_seconds_sum{\(labels)}") ?? 0) >= 0.02)
        #expect(text.contains("bifrost_upstream_latency_seconds_bucket{\(labels),le=\"90.0\"} 2\n"))
        // Queue wait: recorded once (the second call's context had none), 200 ms lands at le=0.25.
        #expect(text.contains("bifrost_queue_wait_seconds_bucket{\(labels),le=\"0.1\"} 0\n"))
        #expect(text.contains("bifrost_queue_wait_seconds_bucket{\(labels),le=\"0.25\"} 1\n"))
        #expect(text.contains("bifrost_queue_wait_seconds_count{\(labels)} 1\n"))
        #expect(text.contains("bifrost_queue_wait_seconds_sum{\(labels)} 0.2\n"))
        #expect(text.contains("# TYPE bifrost_upstream_latency_seconds histogram\n"))
        #expect(text.contains("# TYPE bifrost_upstream_requests_total counter\n"))
        #expect(!text.contains("bifrost_error_requests_total{"))
        #expect(!text.contains("bifrost_stream_first_token_latency_seconds_count"))
    }

    @Test func latencyBucketsAreBifrosts() async throws {
        let plugin = PrometheusPlugin(registry: registry)
        try await call(plugin, chatRequest(), response: chatResponse())
        let text = exposition(registry)
        let bounds = text.split(separator: "\n")
            .filter { $0.hasPrefix("bifrost_upstream_latency_seconds_bucket{") }
            .compactMap { line -> String? in
                guard let start = line.range(of: "le=\"")?.upperBound, let end = line[start...].firstIndex(of: "\"") else { return nil }
                return String(line[start..<end])
            }
        #expect(bounds.compactMap(Double.init) == [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30, 45, 60, 90, .infinity])
    }

    @Test func errorsCountByStatusCode() async throws {
        let plugin = PrometheusPlugin(registry: registry)
        let request = BifrostRequest(provider: "anthropic", model: "claude-3", input: .text("hi"))
        let limited = BifrostError(message: "slow down", type: "rate_limit", statusCode: 429, isBifrostError: false)
        let (response, returned) = try await call(plugin, request, error: limited)
        #expect(response == nil)
        #expect(returned == limited)
        try await call(plugin, request, error: limited)
        try await call(plugin, request, error: BifrostError(message: "bad", isBifrostError: false)) // no status: 400
        try await call(plugin, request, error: BifrostError(message: "boom")) // gateway fault: 500

        let text = exposition(registry)
        let labels = #"provider="anthropic",model="claude-3",method="text_completion""#
        #expect(text.contains("bifrost_error_requests_total{\(labels),status_code=\"429\"} 2\n"))
        #expect(text.contains("bifrost_error_requests_total{\(labels),status_code=\"400\"} 1\n"))
        #expect(text.contains("bifrost_error_requests_total{\(labels),status_code=\"500\"} 1\n"))
        #expect(text.contains("bifrost_upstream_requests_total{\(labels)} 4\n"))
        #expect(text.contains("bifrost_upstream_latency_seconds_count{\(labels)} 4\n"))
        #expect(text.contains("bifrost_success_requests_total{\(labels)} 0\n"))
        #expect(text.contains("bifrost_input_tokens_total{\(labels)} 0\n"))
    }

    @Test func embeddingMethodLabel() async throws {
        let plugin = PrometheusPlugin(registry: registry)
        let request = BifrostRequest(provider: "openai", model: "text-embedding-3-small", input: .embedding(["a", "b"]))
        try await call(plugin, request, response: chatResponse(model: "text-embedding-3-small", usage: Usage(promptTokens: 2, completionTokens: 0)))
        let text = exposition(registry)
        #expect(text.contains(#"bifrost_upstream_requests_total{provider="openai",model="text-embedding-3-small",method="embedding"} 1"#))
    }

    @Test func streamFirstTokenLatencyFromContext() async throws {
        let plugin = PrometheusPlugin(registry: registry)
        try await call(plugin, chatRequest(stream: true), response: chatResponse()) { context in
            context.record { $0.firstChunkLatency = Duration.milliseconds(300) }
        }
        let text = exposition(registry)
        let labels = #"provider="openai",model="gpt-4o",method="chat_completion""#
        #expect(text.contains("bifrost_stream_first_token_latency_seconds_bucket{\(labels),le=\"0.25\"} 0\n"))
        #expect(text.contains("bifrost_stream_first_token_latency_seconds_bucket{\(labels),le=\"0.5\"} 1\n"))
        #expect(text.contains("bifrost_stream_first_token_latency_seconds_sum{\(labels)} 0.3\n"))
        #expect(text.contains("bifrost_stream_first_token_latency_seconds_count{\(labels)} 1\n"))
    }

    @Test func fallbackAttemptsAreLabelledByWhoAnsweredAndDoNotRecountMeasurements() async throws {
        let plugin = PrometheusPlugin(registry: registry)
        let context = BifrostContext()
        // Primary attempt: streams, gets a queue turn and a first chunk, then fails.
        try await call(plugin, chatRequest(stream: true), context: context,
                       error: BifrostError(message: "down", statusCode: 503, isBifrostError: false)) { context in
            context.record { $0.queueWait = Duration.milliseconds(30) }
            context.record { $0.firstChunkLatency = Duration.milliseconds(40) }
        }
        // Fallback attempt on the same context: answered by azure without new measurements. The
        // engine starts every attempt with fresh measurements.
        context.record { $0 = BifrostMeasurements() }
        try await call(plugin, chatRequest(provider: "azure", model: "gpt-4o-mini", stream: true), context: context,
                       response: chatResponse(provider: "azure", model: "gpt-4o-mini"))
        let text = exposition(registry)
        let primary = #"provider="openai",model="gpt-4o",method="chat_completion""#
        let fallback = #"provider="azure",model="gpt-4o-mini",method="chat_completion""#
        #expect(text.contains("bifrost_error_requests_total{\(primary),status_code=\"503\"} 1\n"))
        #expect(text.contains("bifrost_success_requests_total{\(fallback)} 1\n"))
        #expect(text.contains("bifrost_queue_wait_seconds_count{\(primary)} 1\n"))
        #expect(text.contains("bifrost_stream_first_token_latency_seconds_count{\(primary)} 1\n"))
        #expect(!text.contains("bifrost_queue_wait_seconds_count{\(fallback)}"))
        #expect(!text.contains("bifrost_stream_first_token_latency_seconds_count{\(fallback)}"))
    }

    @Test func responseFromAnotherProviderIsLabelledWithIt() async throws {
        let plugin = PrometheusPlugin(registry: registry)
        try await call(plugin, chatRequest(), response: chatResponse(provider: "azure", model: "gpt-4o-mini"))
        #expect(exposition(registry).contains(#"bifrost_success_requests_total{provider="azure",model="gpt-4o-mini",method="chat_completion"} 1"#))
    }

    @Test func postHookWithoutPreHookRecordsNothing() async throws {
        let plugin = PrometheusPlugin(registry: registry)
        let response = chatResponse()
        let (returned, _) = try await plugin.postHook(BifrostContext(), response, nil)
        #expect(returned == response)
        #expect(!exposition(registry).contains("bifrost_upstream_requests_total{"))
    }

    @Test func customLabelsComeFromHeaders() async throws {
        let plugin = PrometheusPlugin(registry: registry, customLabels: ["team", "env"])
        let context = BifrostContext(headers: [
            ("Content-Type", "application/json"),
            ("X-BF-Prom-Team", "backend"),      // header names are case-insensitive
            ("x-bf-prom-other", "ignored"),     // not declared: no label
            ("x-bf-prom-team", "second"),       // the first field wins
        ])
        try await call(plugin, chatRequest(), context: context, response: chatResponse())
        try await call(plugin, chatRequest(), context: context, error: BifrostError(message: "x", statusCode: 502))
        let text = exposition(registry)
        let labels = #"provider="openai",model="gpt-4o",method="chat_completion",team="backend",env="""#
        #expect(text.contains("bifrost_upstream_requests_total{\(labels)} 2\n"))
        #expect(text.contains("bifrost_success_requests_total{\(labels)} 1\n"))
        #expect(text.contains("bifrost_input_tokens_total{\(labels)} 10\n"))
        #expect(text.contains("bifrost_upstream_latency_seconds_count{\(labels)} 2\n"))
        #expect(text.contains(#"bifrost_error_requests_total{provider="openai",model="gpt-4o",method="chat_completion",status_code="502",team="backend",env=""} 1"#))
        #expect(!text.contains("other="))
        #expect(!text.contains("ignored"))
    }

    @Test func customLabelValuesAreEscaped() async throws {
        let plugin = PrometheusPlugin(registry: registry, customLabels: ["team"])
        let context = BifrostContext(headers: [("x-bf-prom-team", "a\"b\\c\nd")])
        try await call(plugin, chatRequest(), context: context, response: chatResponse())
        #expect(exposition(registry).contains(#"bifrost_upstream_requests_total{provider="openai",model="gpt-4o",method="chat_completion",team="a\"b\\c\nd"} 1"#))
    }

    @Test func customLabelNamesAreNormalized() {
        let labels = CustomLabels([" Team-ID ", "provider", "team_id", "__internal", "", "9lives", "status", "env"])
        #expect(labels.names == ["team_id", "_9lives", "env"])
        #expect(labels.headerNames == ["x-bf-prom-team-id", "x-bf-prom-9lives", "x-bf-prom-env"])
        #expect(labels.ignored.map(\.name) == ["provider", "team_id", "__internal", "", "status"])
        #expect(labels.values(from: [("X-Bf-Prom-Team-Id", "core"), ("x-bf-prom-env", "prod")]) == ["core", "", "prod"])
    }

    @Test func customLabelsOnEveryPluginMetric() async throws {
        let plugin = PrometheusPlugin(registry: registry, customLabels: ["tenant"])
        let context = BifrostContext(headers: [("x-bf-prom-tenant", "acme")])
        try await call(plugin, chatRequest(stream: true), context: context, response: chatResponse()) { context in
            context.record { $0.queueWait = Duration.milliseconds(1) }
            context.record { $0.firstChunkLatency = Duration.milliseconds(2) }
        }
        let text = exposition(registry)
        let samples = text.split(separator: "\n").filter { $0.hasPrefix("bifrost_") }
        #expect(samples.count > 10)
        for sample in samples { #expect(sample.contains(#"tenant="acme""#), "\(sample)") }
    }
}
