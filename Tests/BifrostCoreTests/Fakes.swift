import BifrostCore
import BifrostPluginKit
import Synchronization

/// Records events in order, across tasks.
final class EventLog: Sendable {
    private let events = Mutex<[String]>([])
    func record(_ event: String) { events.withLock { $0.append(event) } }
    var all: [String] { events.withLock { $0 } }
}

/// A plugin whose behaviour each test sets, recording every hook call.
final class RecordingPlugin: Plugin {
    let name: String
    let log: EventLog
    let preHookAction: @Sendable (BifrostRequest) throws -> (BifrostRequest, PluginShortCircuit?)
    let postHookAction: @Sendable (BifrostResponse?, BifrostError?) throws -> (BifrostResponse?, BifrostError?)
    private let cleanups = Mutex(0)

    init(_ name: String, log: EventLog,
         pre: @escaping @Sendable (BifrostRequest) throws -> (BifrostRequest, PluginShortCircuit?) = { ($0, nil) },
         post: @escaping @Sendable (BifrostResponse?, BifrostError?) throws -> (BifrostResponse?, BifrostError?) = { ($0, $1) }) {
        self.name = name
        self.log = log
        preHookAction = pre
        postHookAction = post
    }

    func preHook(_ context: BifrostContext, _ request: BifrostRequest) async throws -> (BifrostRequest, PluginShortCircuit?) {
        log.record("pre:\(name):\(request.provider)")
        return try preHookAction(request)
    }

    func postHook(_ context: BifrostContext, _ response: BifrostResponse?, _ error: BifrostError?) async throws
        -> (BifrostResponse?, BifrostError?) {
        log.record("post:\(name)")
        return try postHookAction(response, error)
    }

    func cleanup() async throws { cleanups.withLock { $0 += 1 } }
    var cleanupCount: Int { cleanups.withLock { $0 } }
}

/// A plugin with synchronous hooks too: they log `pre-now:`/`post-now:` and then act as the
/// ``RecordingPlugin`` it wraps, whose async hooks (logging `pre:`/`post:`) it keeps, so a test sees
/// which the engine called.
final class SynchronousRecordingPlugin: SynchronousPluginHooks {
    private let recorder: RecordingPlugin
    var name: String { recorder.name }

    init(_ name: String, log: EventLog,
         pre: @escaping @Sendable (BifrostRequest) throws -> (BifrostRequest, PluginShortCircuit?) = { ($0, nil) },
         post: @escaping @Sendable (BifrostResponse?, BifrostError?) throws -> (BifrostResponse?, BifrostError?) = { ($0, $1) }) {
        recorder = RecordingPlugin(name, log: log, pre: pre, post: post)
    }

    func preHook(_ context: BifrostContext, _ request: BifrostRequest) async throws -> (BifrostRequest, PluginShortCircuit?) {
        try await recorder.preHook(context, request)
    }

    func postHook(_ context: BifrostContext, _ response: BifrostResponse?, _ error: BifrostError?) async throws
        -> (BifrostResponse?, BifrostError?) {
        try await recorder.postHook(context, response, error)
    }

    func preHookNow(_ context: BifrostContext, _ request: BifrostRequest) throws -> (BifrostRequest, PluginShortCircuit?) {
        recorder.log.record("pre-now:\(name)")
        return try recorder.preHookAction(request)
    }

    func postHookNow(_ context: BifrostContext, _ response: BifrostResponse?, _ error: BifrostError?) throws
        -> (BifrostResponse?, BifrostError?) {
        recorder.log.record("post-now:\(name)")
        return try recorder.postHookAction(response, error)
    }
}

struct PluginFailure: Error {}

/// A plugin that hands the context to `inspect` in its PostHook and changes nothing.
final class HookProbe: Plugin {
    let name = "probe"
    let inspect: @Sendable (BifrostContext) -> Void

    init(_ inspect: @escaping @Sendable (BifrostContext) -> Void) {
        self.inspect = inspect
    }

    func postHook(_ context: BifrostContext, _ response: BifrostResponse?, _ error: BifrostError?) async throws
        -> (BifrostResponse?, BifrostError?) {
        inspect(context)
        return (response, error)
    }
}

/// A provider that answers from a script: per call, a result (or a default).
final class FakeProvider: Provider {
    let name: String
    let log: EventLog
    private let script: Mutex<[Result<BifrostResponse, BifrostError>]>
    private let keysUsed = Mutex<[String]>([])
    let delay: Duration

    init(_ name: String, log: EventLog, script: [Result<BifrostResponse, BifrostError>] = [], delay: Duration = .zero) {
        self.name = name
        self.log = log
        self.script = Mutex(script)
        self.delay = delay
        chunks = []
        midStreamFailure = nil
        openFailure = nil
    }

    var usedKeys: [String] { keysUsed.withLock { $0 } }

    /// Chunks to stream (and an optional failure after them); `openFailure` fails before the first chunk.
    let chunks: [String]
    let midStreamFailure: BifrostError?
    let openFailure: BifrostError?

    init(_ name: String, log: EventLog, chunks: [String], midStreamFailure: BifrostError? = nil, openFailure: BifrostError? = nil,
         delay: Duration = .zero) {
        self.name = name
        self.log = log
        script = Mutex([])
        self.delay = delay
        self.chunks = chunks
        self.midStreamFailure = midStreamFailure
        self.openFailure = openFailure
    }

    func stream(_ request: BifrostRequest, key: ProviderKey, context: BifrostContext) async throws -> BifrostStream {
        log.record("stream:\(name):\(request.model)")
        if let openFailure { throw openFailure }
        let chunks = self.chunks, failure = midStreamFailure, delay = self.delay, name = self.name
        return AsyncThrowingStream { continuation in
            Task {
                for (index, text) in chunks.enumerated() {
                    if delay > .zero { try? await Task.sleep(for: delay) }
                    let last = index == chunks.count - 1 && failure == nil
                    continuation.yield(BifrostResponse(
                        id: "s", object: "chat.completion.chunk", created: 1, model: request.model,
                        choices: [Choice(delta: BifrostMessage(role: index == 0 ? "assistant" : "", content: .text(text)),
                                         finishReason: last ? "stop" : nil)],
                        usage: last ? Usage(promptTokens: 3, completionTokens: chunks.count) : nil,
                        extraFields: ExtraFields(provider: name, model: request.model)))
                }
                if let failure { continuation.finish(throwing: failure) } else { continuation.finish() }
            }
        }
    }

    func complete(_ request: BifrostRequest, key: ProviderKey, context: BifrostContext) async throws -> BifrostResponse {
        log.record("call:\(name):\(request.model)")
        keysUsed.withLock { $0.append(key.value) }
        if delay > .zero { try await Task.sleep(for: delay) }
        let next = script.withLock { $0.isEmpty ? nil : $0.removeFirst() }
        switch next {
        case .failure(let error): throw error
        case .success(let response): return response
        case nil: return makeResponse(provider: name, model: request.model)
        }
    }
}

func makeResponse(provider: String, model: String, text: String = "ok") -> BifrostResponse {
    BifrostResponse(id: "r", object: "chat.completion", created: 0, model: model,
                    choices: [Choice(message: .text("assistant", text), finishReason: "stop")],
                    extraFields: ExtraFields(provider: provider, model: model))
}

func upstreamError(_ status: Int, retryAfter: Double? = nil) -> BifrostError {
    BifrostError(message: "upstream \(status)", statusCode: status, isBifrostError: false, retryAfter: retryAfter)
}

func chatRequest(_ provider: String = "openai", model: String = "gpt-4o-mini", fallbacks: [Fallback] = []) -> BifrostRequest {
    BifrostRequest(provider: provider, model: model, input: .chat([.text("user", "hi")]), fallbacks: fallbacks)
}

/// An engine over fake providers named in `providers`, each with one key (or `keys`).
func makeEngine(providers: [FakeProvider], plugins: [any Plugin] = [], keys: [ProviderKey] = [ProviderKey(value: "k")],
                network: NetworkConfig = NetworkConfig(), concurrency: ConcurrencyConfig = ConcurrencyConfig(),
                dropExcess: Bool = false) -> Bifrost {
    var configs: [String: ProviderConfig] = [:]
    for provider in providers {
        configs[provider.name] = ProviderConfig(keys: keys, network: network, concurrency: concurrency)
    }
    let byName = Dictionary(uniqueKeysWithValues: providers.map { ($0.name, $0) })
    var options = BifrostOptions()
    options.dropExcessRequests = dropExcess
    return Bifrost(account: StaticAccount(configs), providers: { name, _ in byName[name] }, plugins: plugins, options: options)
}
