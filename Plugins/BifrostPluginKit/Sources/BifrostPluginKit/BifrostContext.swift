import Synchronization

/// The per-request context every hook sees: values plugins share between their PreHook and PostHook
/// (and with later plugins), what the engine measured, the deadline, cancellation, and the inbound
/// HTTP headers.
public final class BifrostContext: Sendable {
    private let state = Mutex(State())

    private struct State {
        /// A few values at most per request: a list searched from the end beats hashing each key.
        var values: [(key: String, value: any Sendable)] = []
        var measurements = BifrostMeasurements()
        var cancelled = false
        var cancelHandlers: [@Sendable () -> Void] = []
    }

    /// When the request must be done, on `ContinuousClock`; nil for no deadline.
    public let deadline: ContinuousClock.Instant?
    /// The inbound request's headers (empty when the core is used as a library).
    public let inboundHeaders: any InboundHeaders
    /// The executor the request runs on when it came over HTTP (its connection's event loop), so
    /// upstream I/O can stay on the same thread; nil when the core is used as a library.
    public let executor: (any TaskExecutor)?

    public init(deadline: ContinuousClock.Instant? = nil, headers: any InboundHeaders = HeaderList(),
                executor: (any TaskExecutor)? = nil) {
        self.deadline = deadline
        self.inboundHeaders = headers
        self.executor = executor
    }

    /// A context for a request with these inbound headers (name, value) in arrival order.
    public convenience init(deadline: ContinuousClock.Instant? = nil, headers: [(name: String, value: String)]) {
        self.init(deadline: deadline, headers: HeaderList(headers))
    }

    /// The inbound headers in arrival order, duplicates kept.
    public var headers: [(name: String, value: String)] { inboundHeaders.all }

    /// The first inbound header called `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        inboundHeaders.first(name)
    }

    // MARK: Values shared between hooks

    /// Stores `value` under `key` for later hooks of this request.
    public func set(_ key: String, _ value: (any Sendable)?) {
        state.withLock { state in
            let index = state.values.lastIndex { $0.key == key }
            switch (index, value) {
            case (let index?, let value?): state.values[index].value = value
            case (let index?, nil): state.values.remove(at: index)
            case (nil, let value?): state.values.append((key, value))
            case (nil, nil): break
            }
        }
    }

    /// The value stored under `key`, if it has type `T`.
    public func value<T: Sendable>(_ key: String, as type: T.Type = T.self) -> T? {
        let found = state.withLock { state in state.values.last { $0.key == key }?.value }
        guard let found else { return nil }  // casting an absent value still runs the dynamic cast
        return found as? T
    }

    // MARK: Measurements

    /// What the engine has measured so far (metrics plugins read it in their PostHook).
    public var measurements: BifrostMeasurements { state.withLock { $0.measurements } }

    /// Updates the measurements (the engine and providers call this).
    public func record(_ update: (inout BifrostMeasurements) -> Void) {
        state.withLock { update(&$0.measurements) }
    }

    // MARK: Cancellation and deadline

    /// True once the client went away or the request was cancelled.
    public var isCancelled: Bool { state.withLock { $0.cancelled } }

    /// Runs `handler` once when the request is cancelled (at once if it already was).
    public func onCancel(_ handler: @escaping @Sendable () -> Void) {
        let runNow = state.withLock { state -> Bool in
            if state.cancelled { return true }
            state.cancelHandlers.append(handler)
            return false
        }
        if runNow { handler() }
    }

    /// Cancels the request: handlers run, waits end, providers abort.
    public func cancel() {
        let handlers = state.withLock { state -> [@Sendable () -> Void] in
            guard !state.cancelled else { return [] }
            state.cancelled = true
            defer { state.cancelHandlers = [] }
            return state.cancelHandlers
        }
        for handler in handlers { handler() }
    }

    /// True when the deadline has passed.
    public var isPastDeadline: Bool {
        guard let deadline else { return false }
        return ContinuousClock.now >= deadline
    }
}

/// What the engine measured for one request. Each provider attempt (primary or fallback) overwrites
/// the attempt-level figures, so a PostHook reads those of the attempt it wraps.
public struct BifrostMeasurements: Sendable, Hashable {
    /// How long the request waited for a turn in its provider's queue.
    public var queueWait: Duration?
    /// From the provider call to its first stream chunk.
    public var firstChunkLatency: Duration?
    /// Retries made for the provider call.
    public var retries = 0

    public init(queueWait: Duration? = nil, firstChunkLatency: Duration? = nil, retries: Int = 0) {
        self.queueWait = queueWait
        self.firstChunkLatency = firstChunkLatency
        self.retries = retries
    }
}

/// Inbound HTTP headers as the transport keeps them; strings are made only when a plugin asks.
public protocol InboundHeaders: Sendable {
    /// The first field called `name` (case-insensitive).
    func first(_ name: String) -> String?
    /// All fields in arrival order, duplicates kept.
    var all: [(name: String, value: String)] { get }
}

/// Headers given as a list of (name, value) pairs.
public struct HeaderList: InboundHeaders {
    public let all: [(name: String, value: String)]

    public init(_ fields: [(name: String, value: String)] = []) {
        all = fields
    }

    public func first(_ name: String) -> String? {
        all.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}
