// The in-process cost of one request through the engine: `Bifrost.complete` with a provider that
// answers at once from a prebuilt response, and 0, 5 or 10 plugins that do nothing. What is left is
// the engine itself: plugin pipeline, provider slot lookup, queue admission, key choice, retries
// wrapper, fallback walk, and the async calls and copies between them.
//
// Every benchmark runs `scalingFactor` (.kilo = 1,000) requests per iteration, one new
// BifrostContext each (as the transport does), so figures the tool marks with `*` are per request.
// Run with scripts/bench-core.sh (`make bench-core`), which prints a per-request summary.

import Benchmark
import BifrostCore
import BifrostPluginKit

// MARK: Fakes

/// A plugin that keeps every default hook of the protocol (pass-through PreHook and PostHook).
final class NoOpPlugin: Plugin {
    let name: String
    init(name: String) { self.name = name }
}

/// A plugin whose hooks are written out and trivially return their input (same behaviour as the
/// defaults, but the calls resolve in this module instead of BifrostPluginKit's extension).
final class PassThroughPlugin: Plugin {
    let name: String
    init(name: String) { self.name = name }

    func preHook(_ context: BifrostContext, _ request: BifrostRequest) async throws -> (BifrostRequest, PluginShortCircuit?) {
        (request, nil)
    }

    func postHook(_ context: BifrostContext, _ response: BifrostResponse?, _ error: BifrostError?) async throws
        -> (BifrostResponse?, BifrostError?) {
        (response, error)
    }
}

/// A provider that answers every call at once with the same prebuilt response.
final class InstantProvider: Provider {
    let name: String
    let response: BifrostResponse
    init(name: String, response: BifrostResponse) {
        self.name = name
        self.response = response
    }

    func complete(_ request: BifrostRequest, key: ProviderKey, context: BifrostContext) async throws -> BifrostResponse {
        response
    }
}

let providerName = "openai"
let modelName = "gpt-4o-mini"

let prebuiltResponse = BifrostResponse(
    id: "chatcmpl-bench", object: "chat.completion", created: 1_700_000_000, model: modelName,
    choices: [Choice(message: .text("assistant", "Hello! How can I help you today?"), finishReason: "stop")],
    usage: Usage(promptTokens: 9, completionTokens: 9),
    extraFields: ExtraFields(provider: providerName, model: modelName))

let prebuiltRequest = BifrostRequest(
    provider: providerName, model: modelName,
    input: .chat([.text("system", "You are a helpful assistant."), .text("user", "Hello!")]),
    params: ModelParameters(temperature: 0.7, maxTokens: 256))

/// An engine over one instant provider with one key (the engine's default queue: 10 in flight, 100 waiting).
func makeEngine(plugins: [any Plugin]) -> Bifrost {
    let provider = InstantProvider(name: providerName, response: prebuiltResponse)
    let account = StaticAccount([providerName: ProviderConfig(keys: [ProviderKey(value: "sk-bench")])])
    var options = BifrostOptions()
    options.logger.logLevel = .critical
    return Bifrost(account: account, providers: { name, _ in name == providerName ? provider : nil },
                   plugins: plugins, options: options)
}

/// One request, as the transport makes it: a new context, then `complete`.
@inline(__always)
func oneRequest(_ engine: Bifrost) async throws {
    let context = BifrostContext()
    blackHole(try await engine.complete(prebuiltRequest, context: context))
}

// MARK: Benchmarks

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .throughput, .mallocCountTotal, .mallocBytesCount],
        timeUnits: .nanoseconds,
        warmupIterations: 3,
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: 1_000)

    for count in [0, 5, 10] {
        // The engine (and its provider slot) is built once, outside the measurement.
        let engine = makeEngine(plugins: (0..<count).map { NoOpPlugin(name: "noop-\($0)") })
        Benchmark("complete \(count) plugins") { benchmark in
            for _ in benchmark.scaledIterations {
                try await oneRequest(engine)
            }
        } setup: {
            try await oneRequest(engine)  // creates the provider slot and queue
        }
    }

    // Same as "complete 5 plugins", with hooks written out in the plugin class.
    let passThroughEngine = makeEngine(plugins: (0..<5).map { PassThroughPlugin(name: "pass-\($0)") })
    Benchmark("complete 5 pass-through plugins") { benchmark in
        for _ in benchmark.scaledIterations {
            try await oneRequest(passThroughEngine)
        }
    } setup: {
        try await oneRequest(passThroughEngine)
    }

    // Baselines for attribution: what the engine run above costs beyond these.
    Benchmark("baseline BifrostContext()") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(BifrostContext())
        }
    }

    let provider = InstantProvider(name: providerName, response: prebuiltResponse)
    let key = ProviderKey(value: "sk-bench")
    Benchmark("baseline provider.complete direct") { benchmark in
        for _ in benchmark.scaledIterations {
            let context = BifrostContext()
            blackHole(try await provider.complete(prebuiltRequest, key: key, context: context))
        }
    }
}
