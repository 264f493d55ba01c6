import BifrostPluginKit
import Synchronization

/// A provider's admission control: at most `concurrency` calls in flight and `bufferSize` requests
/// waiting for a turn. With drop-excess on, a request that finds the buffer full fails at once;
/// otherwise it waits for room. A waiting request leaves the line when its deadline passes or it is
/// cancelled. Waiters are served in arrival order.
public final class ProviderQueue: Sendable {
    public let provider: String
    public let concurrency: Int
    public let bufferSize: Int
    private let dropExcess: Bool
    private let state = Mutex<State>(State())

    /// A class: `release()` runs on every request and mostly finds no waiter, and an optional
    /// reference is a pointer test where an optional of this struct went through its value witnesses.
    private final class Waiter: Sendable {
        let id: UInt64
        let continuation: CheckedContinuation<Void, any Error>

        init(id: UInt64, continuation: CheckedContinuation<Void, any Error>) {
            self.id = id
            self.continuation = continuation
        }
    }

    private struct State {
        var running = 0
        var waiters: [Waiter] = []
        var nextID: UInt64 = 0
        var closed = false
    }

    public init(provider: String, config: ConcurrencyConfig, dropExcess: Bool) {
        self.provider = provider
        concurrency = max(1, config.concurrency)
        bufferSize = max(0, config.bufferSize)
        self.dropExcess = dropExcess
    }

    /// Calls in flight and requests waiting, for stats and tests.
    public var load: (running: Int, waiting: Int) { state.withLock { ($0.running, $0.waiters.count) } }

    /// Takes a turn, waiting for one when none is free, and returns how long it waited (zero when a
    /// turn was free). The caller must ``release()`` it.
    @inline(__always)
    func acquire(context: BifrostContext) async throws -> Duration {
        guard let id = try admitOrQueue() else { return .zero }
        let start = ContinuousClock.now
        try await wait(id: id, context: context)
        return ContinuousClock.now - start
    }

    /// Waits for a turn and returns it; the caller must ``Ticket/release()`` it (a stream holds its
    /// turn until it ends). The context's measurements are not touched.
    public func admit(context: BifrostContext) async throws -> Ticket {
        Ticket(queue: self, waited: try await acquire(context: context))
    }

    /// One turn with the provider. Releasing it more than once has no effect.
    public final class Ticket: Sendable {
        private let queue: ProviderQueue
        private let released = Mutex(false)
        /// How long the request waited for this turn.
        public let waited: Duration

        init(queue: ProviderQueue, waited: Duration) {
            self.queue = queue
            self.waited = waited
        }

        public func release() {
            guard released.withLock({ value in defer { value = true }; return !value }) else { return }
            queue.release()
        }
    }

    /// Takes a free turn (nil), or queues the caller and returns its waiter id. Throws when the
    /// queue is closed, or full with drop-excess on.
    private func admitOrQueue() throws -> UInt64? {
        enum Admission { case now, wait(UInt64), dropped, closed }
        let admission = state.withLock { state -> Admission in
            if state.closed { return .closed }
            if state.running < concurrency && state.waiters.isEmpty {
                state.running += 1
                return .now
            }
            if dropExcess && state.waiters.count >= bufferSize { return .dropped }
            state.nextID += 1
            return .wait(state.nextID)
        }
        switch admission {
        case .now: return nil
        case .closed: throw Self.shuttingDown(provider)
        case .dropped:
            throw BifrostError(message: "request dropped: queue is full for provider \(provider) (\(concurrency) in flight, \(bufferSize) waiting)",
                               type: "queue_full", statusCode: 503, retryAfter: 1)
        case .wait(let id):
            return id
        }
    }

    private func wait(id: UInt64, context: BifrostContext) async throws {
        let timer = context.deadline.map { deadline in
            Task { [weak self] in
                try? await Task.sleep(until: deadline, clock: .continuous)
                self?.abandon(id, with: BifrostError(message: "timed out waiting for a turn with provider \(self?.provider ?? "")",
                                                     type: "timeout", statusCode: 504))
            }
        }
        defer { timer?.cancel() }
        let cancelled = BifrostError(message: "request cancelled while waiting for provider \(provider)", type: "cancelled", statusCode: 499)
        context.onCancel { [weak self] in self?.abandon(id, with: cancelled) }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let enqueued = state.withLock { state -> Bool in
                    guard !state.closed else { return false }
                    state.waiters.append(Waiter(id: id, continuation: continuation))
                    return true
                }
                if !enqueued { continuation.resume(throwing: Self.shuttingDown(provider)) }
            }
        } onCancel: {
            abandon(id, with: cancelled)
        }
        if context.isCancelled { release(); throw cancelled }
    }

    /// Removes waiter `id` (if still waiting) and fails it.
    private func abandon(_ id: UInt64, with error: BifrostError) {
        let waiter = state.withLock { state -> Waiter? in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index)
        }
        waiter?.continuation.resume(throwing: error)
    }

    /// Gives back a turn taken with ``acquire(context:)``: it passes to the next waiter, if any.
    func release() {
        let next = state.withLock { state -> Waiter? in
            if !state.waiters.isEmpty && !state.closed {
                return state.waiters.removeFirst()  // the turn passes straight to the next waiter
            }
            state.running -= 1
            return nil
        }
        next?.continuation.resume()
    }

    /// Refuses new requests and fails the waiting ones (shutdown after the grace period).
    public func close() {
        let waiters = state.withLock { state -> [Waiter] in
            state.closed = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.continuation.resume(throwing: Self.shuttingDown(provider)) }
    }

    private static func shuttingDown(_ provider: String) -> BifrostError {
        BifrostError(message: "the gateway is shutting down", type: "shutting_down", statusCode: 503)
    }
}
