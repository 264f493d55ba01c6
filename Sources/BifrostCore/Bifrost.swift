import BifrostPluginKit
import Logging
import Synchronization

/// Engine options (the transport maps its flags onto these).
public struct BifrostOptions: Sendable {
    /// Fail at once with 503 when a provider's queue is full, instead of waiting for room.
    public var dropExcessRequests = false
    public var logger = Logger(label: "bifrost.core")

    public init() {}
}

/// The Bifrost engine: plugins around every provider attempt, per-provider queues, weighted keys,
/// retries with backoff, and fallbacks. Usable as a library without any HTTP.
///
/// ```swift
/// let bifrost = Bifrost(account: account, providers: factory, plugins: [auth, cache])
/// let response = try await bifrost.complete(request, context: BifrostContext())
/// await bifrost.shutdown()
/// ```
public final class Bifrost: Sendable {
    private let account: any Account
    private let factory: ProviderFactory
    let pipeline: PluginPipeline
    private let options: BifrostOptions
    private let providers = Mutex<[String: ProviderSlot]>([:])
    /// Set once plugins were cleaned up (shutdown may be called more than once).
    private let cleanedUp = Mutex(false)
    /// Requests running now, counted with atomics: every request enters and leaves, from every loop,
    /// and a lock there would be shared by all of them.
    private let running = Atomic<Int>(0)
    private let accepting = Atomic<Bool>(true)
    private let random = Mutex(FastRandom())

    /// A provider's adapter, queue and configuration. A class: requests hold it across their awaits,
    /// and a reference keeps their async frames small and costs one retain instead of a copy of the
    /// whole configuration.
    private final class ProviderSlot: Sendable {
        let provider: any Provider
        let queue: ProviderQueue
        let config: ProviderConfig

        init(provider: any Provider, queue: ProviderQueue, config: ProviderConfig) {
            self.provider = provider
            self.queue = queue
            self.config = config
        }
    }

    public init(account: any Account, providers factory: @escaping ProviderFactory, plugins: [any Plugin],
                options: BifrostOptions = BifrostOptions()) {
        self.account = account
        self.factory = factory
        self.options = options
        pipeline = PluginPipeline(plugins: plugins, logger: options.logger)
    }

    var logger: Logger { options.logger }

    /// The plugins, in registration order.
    public var plugins: [any Plugin] { pipeline.plugins }

    // MARK: Requests

    /// Runs a non-streaming request: primary, then each fallback in turn, each a full plugin run.
    /// Throws the primary's ``BifrostError`` when every attempt failed.
    public func complete(_ request: BifrostRequest, context: BifrostContext = BifrostContext()) async throws(BifrostError)
        -> BifrostResponse {
        try enter()
        defer { leave() }
        // The primary attempt is awaited here rather than through `withFallbacks`' closure: one async
        // frame fewer on every request.
        switch await runPipeline(request, context: context) {
        case .success(let response):
            return response
        case .failure(let error):
            return try await fallBack(request, after: error, context: context) { attempt in
                await runPipeline(attempt, context: context)
            }
        }
    }

    /// Tries the primary and then each fallback with `attempt` (a full plugin run each) until one
    /// succeeds. An unconfigured fallback is skipped, an error with `allowFallbacks == false` or a
    /// cancelled request stops the walk, and when everything failed the primary's error is thrown.
    func withFallbacks<T>(_ request: BifrostRequest, context: BifrostContext,
                          _ attempt: (BifrostRequest) async -> Result<T, BifrostError>) async throws(BifrostError) -> T {
        let primaryError: BifrostError
        switch await attempt(request) {
        case .success(let value): return value
        case .failure(let error): primaryError = error
        }
        return try await fallBack(request, after: primaryError, context: context, attempt)
    }

    /// The walk over `request.fallbacks` once the primary failed (its own frame: the success path
    /// above stays small; never inlined). Throws the primary's error when it may not fall back.
    @inline(never)
    private func fallBack<T>(_ request: BifrostRequest, after primaryError: BifrostError, context: BifrostContext,
                             _ attempt: (BifrostRequest) async -> Result<T, BifrostError>) async throws(BifrostError) -> T {
        if !primaryError.fallbacksAllowed || context.isCancelled || request.fallbacks.isEmpty { throw primaryError }
        for target in request.fallbacks {
            if account.config(for: target.provider) == nil {
                logFallback("skipping fallback to an unconfigured provider", target, error: nil)
                continue
            }
            var next = request
            next.provider = target.provider
            next.model = target.model
            switch await attempt(next) {
            case .success(let value):
                return value
            case .failure(let error):
                logFallback("fallback failed", target, error: error)
                if !error.fallbacksAllowed || context.isCancelled { throw primaryError }
            }
        }
        throw primaryError
    }

    @inline(never)
    private func logFallback(_ message: Logger.Message, _ target: Fallback, error: BifrostError?) {
        var metadata: Logger.Metadata = ["provider": "\(target.provider)"]
        if let error {
            metadata["model"] = "\(target.model)"
            metadata["error"] = "\(error.error.message)"
        }
        options.logger.warning(message, metadata: metadata)
    }

    /// PreHooks → (queue → key → provider, with retries) → PostHooks, for one provider and model.
    private func runPipeline(_ request: BifrostRequest, context: BifrostContext) async -> Result<BifrostResponse, BifrostError> {
        context.record { $0 = BifrostMeasurements() }
        let outcome = pipeline.allSynchronous ? pipeline.runPreHooksNow(request, context: context)
                                              : await pipeline.runPreHooks(request, context: context)
        var response: BifrostResponse?
        var error: BifrostError?
        if let shortCircuit = outcome.shortCircuit {
            response = shortCircuit.response
            error = shortCircuit.error
        } else {
            switch await callProvider(outcome.request, context: context) {
            case .success(let value): response = value
            case .failure(let failure): error = failure
            }
        }
        if pipeline.allSynchronous {
            return pipeline.runPostHooksNow(ran: outcome.ran, response: response, error: error, context: context)
        }
        return await pipeline.runPostHooks(ran: outcome.ran, response: response, error: error, context: context)
    }

    private func callProvider(_ request: BifrostRequest, context: BifrostContext) async -> Result<BifrostResponse, BifrostError> {
        let slot: ProviderSlot
        switch usableSlot(for: request) {
        case .success(let found): slot = found
        case .failure(let error): return .failure(error)
        }
        do {
            let waited = try await slot.queue.acquire(context: context)
            defer { slot.queue.release() }
            context.record { $0.queueWait = waited }
            return .success(try await callWithRetries(slot, request, context: context))
        } catch {
            return .failure(Self.bifrostError(error, provider: request.provider))
        }
    }

    /// Opens a provider stream with a queue turn held for its whole life; retries apply to opening only.
    func openProviderStream(_ request: BifrostRequest, context: BifrostContext) async
        -> Result<(stream: BifrostStream, ticket: ProviderQueue.Ticket), BifrostError> {
        let slot: ProviderSlot
        switch usableSlot(for: request) {
        case .success(let found): slot = found
        case .failure(let error): return .failure(error)
        }
        let ticket: ProviderQueue.Ticket
        do {
            ticket = try await slot.queue.admit(context: context)
        } catch {
            return .failure(Self.bifrostError(error, provider: request.provider))
        }
        context.record { $0.queueWait = ticket.waited }
        do {
            let stream = try await withRetries(slot, request, context: context) { key in
                try await slot.provider.stream(request, key: key, context: context)
            }
            return .success((stream, ticket))
        } catch {
            ticket.release()
            return .failure(Self.bifrostError(error, provider: request.provider))
        }
    }

    private func callWithRetries(_ slot: ProviderSlot, _ request: BifrostRequest, context: BifrostContext) async throws
        -> BifrostResponse {
        try await withRetries(slot, request, context: context) { key in
            try await slot.provider.complete(request, key: key, context: context)
        }
    }

    /// Calls `body` with a chosen key, retrying per the provider's policy with backoff. Always
    /// inlined, so that the first call's closure is too (no async frame of its own).
    @inline(__always)
    private func withRetries<T: Sendable>(_ slot: ProviderSlot, _ request: BifrostRequest, context: BifrostContext,
                                          _ body: (ProviderKey) async throws -> T) async throws -> T {
        let key = selectKey(slot, request, avoiding: nil)
        do {
            try Task.checkCancellation()
            return try await body(key)
        } catch {
            return try await retry(slot, request, context: context, after: error, with: key, body)
        }
    }

    /// The retry loop once the first call failed (its own frame, never inlined: the first call above
    /// stays small).
    @inline(never)
    private func retry<T: Sendable>(_ slot: ProviderSlot, _ request: BifrostRequest, context: BifrostContext,
                                    after firstError: any Error, with firstKey: ProviderKey,
                                    _ body: (ProviderKey) async throws -> T) async throws -> T {
        let policy = RetryPolicy(network: slot.config.network)
        var attempt = 0
        var error = firstError
        var key = firstKey
        while true {
            let failure = Self.bifrostError(error, provider: request.provider)
            guard !context.isCancelled, policy.shouldRetry(failure, attempt: attempt) else { throw failure }
            let status = failure.statusCode ?? 0
            let lastKey: ProviderKey? = [401, 403, 429].contains(status) ? key : nil
            let delay = random.withLock { policy.delay(attempt: attempt, retryAfter: failure.retryAfter, using: &$0) }
            logRetry(request, attempt: attempt, status: status, delay: delay)
            try await Task.sleep(for: delay)
            attempt += 1
            context.record { [attempt] in $0.retries = attempt }
            key = selectKey(slot, request, avoiding: lastKey)
            do {
                try Task.checkCancellation()
                return try await body(key)
            } catch let next {
                error = next
            }
        }
    }

    @inline(never)
    private func selectKey(_ slot: ProviderSlot, _ request: BifrostRequest, avoiding lastKey: ProviderKey?) -> ProviderKey {
        let keys = slot.config.keys
        if keys.count == 1 { return keys[0] }  // usableSlot checked that it serves the model; no shared lock needed
        return random.withLock { generator in
            KeySelector.select(from: slot.config.keys, model: request.model, avoiding: lastKey, using: &generator)
        }!
    }

    @inline(never)
    private func logRetry(_ request: BifrostRequest, attempt: Int, status: Int, delay: Duration) {
        options.logger.info("retrying provider call", metadata: [
            "provider": "\(request.provider)", "attempt": "\(attempt + 1)", "status": "\(status)",
            "delay_ms": "\(delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000)",
        ])
    }

    /// Any error as a ``BifrostError`` (cancellation → 499, anything unknown → 500).
    public static func error(from error: any Error, provider: String) -> BifrostError {
        bifrostError(error, provider: provider)
    }

    static func bifrostError(_ error: any Error, provider: String) -> BifrostError {
        if let error = error as? BifrostError { return error }
        if error is CancellationError {
            return BifrostError(message: "request cancelled", type: "cancelled", statusCode: 499, allowFallbacks: false)
        }
        return BifrostError(message: "provider \(provider) failed: \(error)", type: "internal_error", statusCode: 500)
    }

    /// The slot of the request's provider when one of its keys serves the model, else the error to
    /// answer with. Synchronous and never inlined: the configuration it reads stays out of the
    /// async callers' frames.
    @inline(never)
    private func usableSlot(for request: BifrostRequest) -> Result<ProviderSlot, BifrostError> {
        let slot: ProviderSlot
        do {
            slot = try providerSlot(request.provider)
        } catch {
            return .failure(Self.bifrostError(error, provider: request.provider))
        }
        guard slot.config.keys.contains(where: { $0.serves(request.model) }) else {
            return .failure(noKeyError(provider: request.provider, model: request.model, config: slot.config))
        }
        return .success(slot)
    }

    private func noKeyError(provider: String, model: String, config: ProviderConfig) -> BifrostError {
        if !config.missingKeyVariables.isEmpty {
            let variables = config.missingKeyVariables.map { "\($0.variable) (\($0.path))" }.joined(separator: ", ")
            return BifrostError(message: "provider \(provider) is not usable until these environment variables are set: \(variables)",
                                type: "missing_api_key", statusCode: 500)
        }
        return BifrostError(message: "no key of provider \(provider) serves model \(model)", type: "no_key_for_model",
                            statusCode: 400)
    }

    private func providerSlot(_ name: String) throws -> ProviderSlot {
        if let slot = providers.withLock({ $0[name] }) { return slot }
        guard let config = account.config(for: name) else {
            throw BifrostError(message: "provider \(name) is not configured", type: "unknown_provider", param: "provider",
                               statusCode: 400, allowFallbacks: true)
        }
        guard let provider = factory(name, config) else {
            throw BifrostError(message: "provider \(name) is not supported by this gateway", type: "unknown_provider",
                               param: "provider", statusCode: 400)
        }
        return providers.withLock { slots in
            if let existing = slots[name] { return existing }
            let queue = ProviderQueue(provider: name, config: config.concurrency, dropExcess: options.dropExcessRequests)
            let slot = ProviderSlot(provider: provider, queue: queue, config: config)
            slots[name] = slot
            return slot
        }
    }

    // MARK: Lifecycle

    func enter() throws(BifrostError) {
        // Counted first, then checked: shutdown clears `accepting` before it waits for the count, so
        // a request either sees the flag cleared or is waited for.
        running.wrappingAdd(1, ordering: .sequentiallyConsistent)
        guard accepting.load(ordering: .sequentiallyConsistent) else {
            running.wrappingSubtract(1, ordering: .sequentiallyConsistent)
            throw BifrostError(message: "the gateway is shutting down", type: "shutting_down", statusCode: 503)
        }
    }

    func leave() {
        running.wrappingSubtract(1, ordering: .sequentiallyConsistent)
    }

    /// Requests running now.
    public var inFlight: Int { running.load(ordering: .sequentiallyConsistent) }

    /// Stops taking requests, lets running ones finish for up to `gracePeriod`, fails what still
    /// waits in queues, then calls every plugin's `cleanup()` exactly once.
    public func shutdown(gracePeriod: Duration = .seconds(30)) async {
        accepting.store(false, ordering: .sequentiallyConsistent)
        let deadline = ContinuousClock.now + gracePeriod
        while inFlight > 0 && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(5)) }
        for slot in providers.withLock({ Array($0.values) }) { slot.queue.close() }
        let first = cleanedUp.withLock { done -> Bool in
            defer { done = true }
            return !done
        }
        guard first else { return }
        for plugin in pipeline.plugins {
            do {
                try await plugin.cleanup()
            } catch {
                options.logger.error("plugin cleanup failed", metadata: ["plugin": "\(plugin.name)", "error": "\(error)"])
            }
        }
    }
}
