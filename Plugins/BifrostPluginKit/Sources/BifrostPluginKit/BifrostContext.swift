import Synchronization

/// The per-request context every hook sees: values plugins share between their PreHook and PostHook
/// (and with later plugins), the deadline, cancellation, and the inbound HTTP headers.
public final class BifrostContext: Sendable {
    private let values = Mutex<[String: any Sendable]>([:])
    private let cancellation = Mutex<(cancelled: Bool, handlers: [@Sendable () -> Void])>((false, []))

    /// When the request must be done, on `ContinuousClock`; nil for no deadline.
    public let deadline: ContinuousClock.Instant?
    /// The inbound request's headers in arrival order (empty when the core is used as a library).
    public let headers: [(name: String, value: String)]

    public init(deadline: ContinuousClock.Instant? = nil, headers: [(name: String, value: String)] = []) {
        self.deadline = deadline
        self.headers = headers
    }

    /// The first inbound header called `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// Stores `value` under `key` for later hooks of this request.
    public func set(_ key: String, _ value: (any Sendable)?) {
        values.withLock { $0[key] = value }
    }

    /// The value stored under `key`, if it has type `T`.
    public func value<T: Sendable>(_ key: String, as type: T.Type = T.self) -> T? {
        values.withLock { $0[key] } as? T
    }

    /// True once the client went away or the request was cancelled.
    public var isCancelled: Bool { cancellation.withLock { $0.cancelled } }

    /// Runs `handler` once when the request is cancelled (at once if it already was).
    public func onCancel(_ handler: @escaping @Sendable () -> Void) {
        let runNow = cancellation.withLock { state -> Bool in
            if state.cancelled { return true }
            state.handlers.append(handler)
            return false
        }
        if runNow { handler() }
    }

    /// Cancels the request: handlers run, waits end, providers abort.
    public func cancel() {
        let handlers = cancellation.withLock { state -> [@Sendable () -> Void] in
            guard !state.cancelled else { return [] }
            state.cancelled = true
            defer { state.handlers = [] }
            return state.handlers
        }
        for handler in handlers { handler() }
    }

    /// Keys under which the engine stores what it measured, for plugins (metrics) to read.
    public enum Keys {
        /// `Duration`: how long the request waited for a turn in its provider's queue.
        public static let queueWait = "bifrost.queue_wait"
        /// `Duration`: from the provider call to its first stream chunk.
        public static let firstChunkLatency = "bifrost.first_chunk_latency"
        /// `Int`: retries made for the provider call.
        public static let retries = "bifrost.retries"
    }

    /// True when the deadline has passed.
    public var isPastDeadline: Bool {
        guard let deadline else { return false }
        return ContinuousClock.now >= deadline
    }
}
