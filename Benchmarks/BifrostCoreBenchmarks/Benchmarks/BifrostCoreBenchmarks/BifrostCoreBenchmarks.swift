// The in-process cost of one request through the engine: `Bifrost.complete` with a provider that
// answers at once from a prebuilt response, and 0, 5 or 10 plugins that do nothing. What is left is
// the engine itself: plugin pipeline, provider slot lookup, queue admission, key choice, the retry
// wrapper, the fallback walk, and the async calls and copies between them.
//
// Every benchmark runs `scalingFactor` (.kilo = 1,000) requests per iteration, each with a new
// BifrostContext (as the transport does), so the figures the tool marks with `*` are per request.
// Run with scripts/bench-core.sh (`make bench-core`), which prints a per-request summary.

import Benchmark
import BifrostCore
import BifrostPluginKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: Fakes

/// A plugin that keeps every default hook of the protocol (pass-through PreHook and PostHook).
final class NoOpPlugin: Plugin {
    let name: String
    init(name: String) { self.name = name }
}

/// A plugin whose hooks are written out and trivially return their input (same behaviour as the
/// defaults, but the hooks are this module's instead of BifrostPluginKit's protocol extension).
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

/// An engine over one instant provider with one key; the provider's queue is the default (10 in
/// flight, 100 waiting) unless `inFlight` says otherwise.
func makeEngine(plugins: [any Plugin], inFlight: Int = ConcurrencyConfig().concurrency) -> Bifrost {
    let provider = InstantProvider(name: providerName, response: prebuiltResponse)
    let config = ProviderConfig(keys: [ProviderKey(value: "sk-bench")], concurrency: ConcurrencyConfig(concurrency: inFlight))
    var options = BifrostOptions()
    options.logger.logLevel = .critical
    return Bifrost(account: StaticAccount([providerName: config]), providers: { name, _ in name == providerName ? provider : nil },
                   plugins: plugins, options: options)
}

/// One request, as the transport makes it: a new context, then `complete`. Returns the context so
/// the caller may read what the engine recorded in it.
@inline(__always)
@discardableResult
func oneRequest(_ engine: Bifrost) async throws -> BifrostContext {
    let context = BifrostContext()
    blackHole(try await engine.complete(prebuiltRequest, context: context))
    return context
}

func queueWaitNanoseconds(_ context: BifrostContext) -> Int {
    guard let waited = context.measurements.queueWait else { return 0 }
    return Int(waited.components.seconds) * 1_000_000_000 + Int(waited.components.attoseconds / 1_000_000_000)
}

/// CPU time of the whole process in nanoseconds (all threads), at nanosecond resolution: the
/// built-in cpuTotal metric counts in 10 ms scheduler ticks, too coarse for a 1,000-request iteration.
func processCPUNanoseconds() -> Int {
    var now = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now)
    return Int(now.tv_sec) * 1_000_000_000 + Int(now.tv_nsec)
}

enum CoreMetrics {
    /// Process CPU time per request (scaled by the scaling factor like wall clock).
    static let cpu = BenchmarkMetric.custom("CPU time per request (ns)", polarity: .prefersSmaller, useScalingFactor: true)
    /// The engine's own queue-wait measure (`BifrostContext.measurements.queueWait`), averaged per request.
    static let queueWait = BenchmarkMetric.custom("Queue wait per request (ns)", polarity: .prefersSmaller, useScalingFactor: true)
}

/// Runs `body` around `scaledIterations` requests, recording CPU time and summed queue wait.
@inline(__always)
func measure(_ benchmark: Benchmark, _ body: () async throws -> Int) async rethrows {
    let cpuStart = processCPUNanoseconds()
    let waited = try await body()
    let cpu = processCPUNanoseconds() - cpuStart
    benchmark.measurement(CoreMetrics.cpu, cpu)
    benchmark.measurement(CoreMetrics.queueWait, waited)
}

// MARK: Benchmarks

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal, .mallocBytesCount, CoreMetrics.cpu, CoreMetrics.queueWait],
        timeUnits: .nanoseconds,
        // Plain counts (no K/M prefixes), so per-request figures keep their digits.
        units: [.mallocCountTotal: .count, .mallocBytesCount: .count, CoreMetrics.cpu: .count, CoreMetrics.queueWait: .count],
        warmupIterations: 3,
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: 1_000)

    // Sequential requests, one at a time: the per-request cost of the engine.
    for count in [0, 5, 10] {
        // The engine is built once, outside the measurement; setup makes its provider slot and queue.
        let engine = makeEngine(plugins: (0..<count).map { NoOpPlugin(name: "noop-\($0)") })
        Benchmark("complete \(count) plugins") { benchmark in
            try await measure(benchmark) {
                var waited = 0
                for _ in benchmark.scaledIterations {
                    waited += queueWaitNanoseconds(try await oneRequest(engine))
                }
                return waited
            }
        } setup: {
            try await oneRequest(engine)
        }
    }

    // As "complete 5 plugins", with the hooks written out in the plugin class.
    let passThroughEngine = makeEngine(plugins: (0..<5).map { PassThroughPlugin(name: "pass-\($0)") })
    Benchmark("complete 5 pass-through plugins") { benchmark in
        try await measure(benchmark) {
            var waited = 0
            for _ in benchmark.scaledIterations {
                waited += queueWaitNanoseconds(try await oneRequest(passThroughEngine))
            }
            return waited
        }
    } setup: {
        try await oneRequest(passThroughEngine)
    }

    // The same 1,000 requests from 8 concurrent tasks (125 each), 5 plugins: with the default queue
    // (10 in flight) nobody waits; with 1 in flight the queue serialises them and the wait shows.
    for inFlight in [10, 1] {
        let engine = makeEngine(plugins: (0..<5).map { NoOpPlugin(name: "noop-\($0)") }, inFlight: inFlight)
        Benchmark("complete 5 plugins 8 tasks \(inFlight) in flight") { benchmark in
            try await measure(benchmark) {
                let tasks = 8
                let perTask = benchmark.scaledIterations.count / tasks
                return try await withThrowingTaskGroup(of: Int.self) { group in
                    for _ in 0..<tasks {
                        group.addTask {
                            var waited = 0
                            for _ in 0..<perTask { waited += queueWaitNanoseconds(try await oneRequest(engine)) }
                            return waited
                        }
                    }
                    return try await group.reduce(0, +)
                }
            }
        } setup: {
            try await oneRequest(engine)
        }
    }

    // Baselines, for attribution: what the engine runs above cost beyond these.
    Benchmark("baseline BifrostContext()") { benchmark in
        await measure(benchmark) {
            for _ in benchmark.scaledIterations {
                blackHole(BifrostContext())
            }
            return 0
        }
    }

    let provider = InstantProvider(name: providerName, response: prebuiltResponse)
    let key = ProviderKey(value: "sk-bench")
    Benchmark("baseline provider.complete direct") { benchmark in
        try await measure(benchmark) {
            for _ in benchmark.scaledIterations {
                let context = BifrostContext()
                blackHole(try await provider.complete(prebuiltRequest, key: key, context: context))
            }
            return 0
        }
    }
}
