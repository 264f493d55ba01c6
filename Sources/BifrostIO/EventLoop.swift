import CBifrostSystem
import Glibc
import Synchronization

/// Receives readiness events for one registered descriptor. Called on the loop thread only.
public protocol IOEventHandler: AnyObject {
    func handleEvents(_ events: IOEvents)
}

/// Something with bytes to write once the current loop iteration's work is done.
public protocol FlushTarget: AnyObject {
    /// True while a flush is queued on the loop. Set and cleared by the loop only; targets store it.
    var flushQueued: Bool { get set }
    /// Writes what was queued. Called on the loop thread, once per iteration that asked for it.
    func flushDeferred()
}

/// Identifies one registration of a descriptor, so that an event queued for a descriptor that was
/// closed and reused within the same `epoll_wait` batch is recognised as stale and dropped.
public struct Registration: Equatable, Sendable {
    public let fd: Int32
    let id: UInt32
}

/// One epoll loop on one thread.
///
/// Everything the loop owns (registrations, timers, deferred tasks) is touched only on its thread.
/// Other threads talk to it through ``execute(_:)``, which queues the closure under a mutex and
/// wakes the loop through an eventfd.
public final class EventLoop: @unchecked Sendable {
    /// Position in its group, used in thread names and logs.
    public let index: Int

    // Cross-thread state.
    private let inbox = Mutex<[RemoteWork]>([])
    private let wakeRequested = Atomic<Bool>(false)
    /// The loop thread's `pthread_t` (an integer on Linux), 0 before the loop starts.
    private let threadID = Atomic<UInt>(0)
    private let wakeFD: Int32

    // Loop-confined state.
    private var epoll: Epoll
    private var handlers: [Slot?] = []
    private var nextRegistrationID: UInt32 = 1
    private var timers = TimerQueue()
    private var localTasks: [LocalWork] = []
    /// The batch being run; swapped with the queues so that neither reallocates per iteration.
    private var runningLocal: [LocalWork] = []
    private var runningRemote: [RemoteWork] = []
    private var pendingFlushes: [any FlushTarget] = []
    private var runningFlushes: [any FlushTarget] = []
    private var running = true
    /// How long to poll before sleeping when lightly loaded (0: never); see ``BusyPoll``.
    private let busyPoll: BusyPoll
    /// Events the current iteration's `epoll_wait` returned, which tells light load from heavy.
    private var lastEventCount = 0

    /// An iteration that began with at most this many events counts as lightly loaded.
    public static let lightBatch = 2

    /// Whether the current iteration began with at most ``lightBatch`` events: nothing else is
    /// waiting, so a write gains nothing from being held to the end of the iteration (see
    /// ``deferFlush(_:)``), and a busy-polling loop polls before it sleeps. Loop thread only.
    public var isLightlyLoaded: Bool { lastEventCount <= Self.lightBatch }
    /// Monotonic time at the start of the current iteration, in nanoseconds.
    public private(set) var now: UInt64 = MonotonicClock.now()

    private struct Slot {
        let id: UInt32
        let handler: any IOEventHandler
    }

    private static let wakeData: UInt64 = .max

    /// Queued work: a closure, or a Swift task's job (kept unwrapped: wrapping it in a closure
    /// would allocate once per resumption).
    enum LocalWork {
        case closure(() -> Void)
        case job(UnownedJob)
    }

    enum RemoteWork: Sendable {
        case closure(@Sendable () -> Void)
        case job(UnownedJob)
    }

    init(index: Int, busyPoll: BusyPoll = .off) throws {
        self.index = index
        self.busyPoll = busyPoll
        epoll = try Epoll()
        wakeFD = try syscallBlocking("eventfd") { eventfd(0, CBS_EFD_NONBLOCK | CBS_EFD_CLOEXEC) }
        try epoll.add(wakeFD, events: .readable, data: Self.wakeData)
    }

    deinit {
        closeDescriptor(wakeFD)
    }

    /// True when called on this loop's thread.
    public var inEventLoop: Bool {
        threadID.load(ordering: .relaxed) == UInt(pthread_self())
    }

    // MARK: Cross-thread API

    /// Runs `task` on the loop thread. From the loop itself it runs after the current event batch.
    public func execute(_ task: @escaping @Sendable () -> Void) {
        enqueueRemote(.closure(task))
    }

    func enqueueRemote(_ work: RemoteWork) {
        inbox.withLock { $0.append(work) }
        if !wakeRequested.exchange(true, ordering: .acquiringAndReleasing) {
            var one: UInt64 = 1
            _ = Glibc.write(wakeFD, &one, 8)
        }
    }

    /// Asks the loop to stop after its current iteration.
    func stop() {
        execute { [self] in running = false }
    }

    // MARK: Loop-thread API

    /// Runs `task` on the loop thread at the end of the current iteration, without a wake-up.
    /// Must be called on the loop thread.
    public func deferTask(_ task: @escaping () -> Void) {
        localTasks.append(.closure(task))
    }

    /// Calls `target.flushDeferred()` once this iteration's events and tasks have run; asking again
    /// before then has no further effect. Must be called on the loop thread.
    ///
    /// Writing as each response is ready wakes a peer per write, and on a busy machine the woken
    /// peer preempts the loop mid-batch. Writes that leave together let peers find several
    /// requests per wake-up, and cost the loop fewer preemptions (about 15 % more requests/s as a
    /// proxy on two shared cores). The flush comes in the same iteration, but after all of its
    /// work: a writer that is alone (``isLightlyLoaded``) may rather write at once.
    public func deferFlush(_ target: any FlushTarget) {
        guard !target.flushQueued else { return }
        target.flushQueued = true
        pendingFlushes.append(target)
    }

    /// Queues a Swift task's job to run after the current event batch. Must be called on the loop thread.
    func deferJob(_ job: UnownedJob) {
        localTasks.append(.job(job))
    }

    /// Registers `fd` for `events`; the handler is kept until ``deregister(_:)``.
    /// `hangup` and `error` are always reported by epoll. Must be called on the loop thread.
    public func register(_ fd: Int32, events: IOEvents, handler: any IOEventHandler) throws -> Registration {
        let id = nextRegistrationID
        nextRegistrationID = nextRegistrationID == .max - 1 ? 1 : nextRegistrationID + 1
        let index = Int(fd)
        if index >= handlers.count {
            handlers.append(contentsOf: repeatElement(nil, count: max(index + 1 - handlers.count, handlers.count)))
        }
        try epoll.add(fd, events: events, data: UInt64(id) << 32 | UInt64(UInt32(bitPattern: fd)))
        handlers[index] = Slot(id: id, handler: handler)
        return Registration(fd: fd, id: id)
    }

    /// Changes the events of a registration. Must be called on the loop thread.
    public func reregister(_ registration: Registration, events: IOEvents) throws {
        let data = UInt64(registration.id) << 32 | UInt64(UInt32(bitPattern: registration.fd))
        try epoll.modify(registration.fd, events: events, data: data)
    }

    /// Removes a registration before its descriptor is closed. Must be called on the loop thread.
    public func deregister(_ registration: Registration) {
        let index = Int(registration.fd)
        guard index < handlers.count, handlers[index]?.id == registration.id else { return }
        handlers[index] = nil
        // ENOENT/EBADF cannot happen for a live registration; anything else is not actionable here.
        try? epoll.remove(registration.fd)
    }

    /// Calls `target.timerFired` once `deadline` (monotonic ns) has passed. Must be called on the loop thread.
    public func schedule(_ target: any TimerTarget, at deadline: UInt64) {
        timers.push(target, at: deadline)
    }

    /// Runs `body` once after `delay` nanoseconds unless cancelled. Must be called on the loop thread.
    @discardableResult
    public func scheduleTask(after delay: UInt64, _ body: @escaping () -> Void) -> ScheduledTask {
        let task = ScheduledTask(body)
        schedule(task, at: now &+ delay)
        return task
    }

    // MARK: The loop

    func run() {
        threadID.store(UInt(pthread_self()), ordering: .releasing)
        while running {
            let count: Int
            do {
                count = try waitForEvents()
            } catch {
                // epoll_wait fails only on programmer errors (EBADF/EFAULT trap) or EINVAL; nothing to retry.
                preconditionFailure("epoll_wait on loop \(index) failed: \(error)")
            }
            now = MonotonicClock.now()
            lastEventCount = count
            for position in 0..<count {
                let (data, events) = epoll.event(at: position)
                dispatch(data: data, events: events)
            }
            epoll.grow(ifFilledBy: count)
            fireTimers()
            runTasks()
            runFlushes()
        }
        runTasks()
        runFlushes()
    }

    /// Waits for the next events: polls first when busy polling applies, then sleeps in `epoll_wait`
    /// until an event or the earliest timer.
    private func waitForEvents() throws -> Int {
        let timeout = nextTimeout()
        if timeout != 0 && busyPoll.isOn && isLightlyLoaded {
            var until = MonotonicClock.now() &+ busyPoll.nanoseconds
            if let earliest = timers.earliest { until = min(until, earliest) }
            repeat {
                let count = try epoll.wait(timeoutMilliseconds: 0)
                if count > 0 { return count }
                // Lets a thread queued on this CPU (often the peer about to answer) run meanwhile.
                sched_yield()
            } while MonotonicClock.now() < until
            return try epoll.wait(timeoutMilliseconds: nextTimeout())
        }
        return try epoll.wait(timeoutMilliseconds: timeout)
    }

    private func dispatch(data: UInt64, events: IOEvents) {
        if data == Self.wakeData {
            var value: UInt64 = 0
            _ = Glibc.read(wakeFD, &value, 8)
            wakeRequested.store(false, ordering: .releasing)
            return
        }
        let fd = Int(UInt32(truncatingIfNeeded: data))
        let id = UInt32(truncatingIfNeeded: data >> 32)
        guard fd < handlers.count, let slot = handlers[fd], slot.id == id else { return }
        slot.handler.handleEvents(events)
    }

    private func runFlushes() {
        while !pendingFlushes.isEmpty {
            swap(&pendingFlushes, &runningFlushes)
            for target in runningFlushes {
                target.flushQueued = false
                target.flushDeferred()
            }
            runningFlushes.removeAll(keepingCapacity: true)
        }
    }

    private func nextTimeout() -> Int32 {
        if !localTasks.isEmpty || !pendingFlushes.isEmpty { return 0 }
        guard let earliest = timers.earliest else { return -1 }
        let current = MonotonicClock.now()
        if earliest <= current { return 0 }
        let milliseconds = (earliest - current + 999_999) / 1_000_000
        return Int32(min(milliseconds, 60_000))
    }

    private func fireTimers() {
        while let (target, deadline) = timers.popExpired(now: now) {
            target.timerFired(deadline: deadline, now: now)
        }
    }

    private func runTasks() {
        inbox.withLock { swap(&$0, &runningRemote) }
        for work in runningRemote {
            switch work {
            case .closure(let task): task()
            case .job(let job): job.runSynchronously(on: asUnownedTaskExecutor())
            }
        }
        runningRemote.removeAll(keepingCapacity: true)
        // Local tasks may defer more tasks; run them in rounds so none is starved.
        var rounds = 0
        while !localTasks.isEmpty && rounds < 16 {
            swap(&localTasks, &runningLocal)
            for work in runningLocal {
                switch work {
                case .closure(let task): task()
                case .job(let job): job.runSynchronously(on: asUnownedTaskExecutor())
                }
            }
            runningLocal.removeAll(keepingCapacity: true)
            rounds += 1
        }
    }
}

/// A one-shot timer created by ``EventLoop/scheduleTask(after:_:)``.
public final class ScheduledTask: TimerTarget {
    private var body: (() -> Void)?

    init(_ body: @escaping () -> Void) { self.body = body }

    /// Prevents the task from running. Call on the loop thread.
    public func cancel() { body = nil }

    public func timerFired(deadline: UInt64, now: UInt64) {
        let run = body
        body = nil
        run?()
    }
}
