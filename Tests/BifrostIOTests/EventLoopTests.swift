import BifrostIO
import Dispatch
import CBifrostSystem
import Glibc
import Synchronization
import Testing

/// Collects values from loop threads for assertions.
final class Recorder<Value: Sendable>: Sendable {
    private let values = Mutex<[Value]>([])
    func record(_ value: Value) { values.withLock { $0.append(value) } }
    var all: [Value] { values.withLock { $0 } }
}

/// Waits up to `seconds` for `condition`.
func eventually(within seconds: Double = 2, _ condition: () -> Bool) -> Bool {
    let deadline = MonotonicClock.now() + Nanoseconds.seconds(seconds)
    while MonotonicClock.now() < deadline {
        if condition() { return true }
        usleep(5_000)
    }
    return condition()
}

/// Counts readiness events delivered to it.
final class CountingHandler: IOEventHandler, @unchecked Sendable {
    let events = Recorder<UInt32>()
    func handleEvents(_ events: IOEvents) { self.events.record(events.rawValue) }
}

@Suite("Event loops")
struct EventLoopTests {
    @Test func executeFromAnotherThreadRunsOnTheLoopThread() throws {
        let group = try EventLoopGroup(loopCount: 2, name: "t-exec")
        defer { group.shutdown() }
        let seen = Recorder<Bool>()
        for loop in group.loops {
            #expect(!loop.inEventLoop)
            loop.execute { seen.record(loop.inEventLoop) }
        }
        #expect(eventually { seen.all.count == 2 })
        #expect(seen.all == [true, true])
    }

    @Test func tasksFromManyThreadsAllRun() throws {
        let group = try EventLoopGroup(loopCount: 1, name: "t-many")
        defer { group.shutdown() }
        let loop = group.loops[0]
        let count = Recorder<Int>()
        let threads = 4, perThread = 500
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            for index in 0..<perThread { loop.execute { count.record(thread * perThread + index) } }
        }
        #expect(eventually { count.all.count == threads * perThread })
        #expect(Set(count.all).count == threads * perThread)
    }

    @Test func deferredFlushesRunOnceAfterTheIterationsTasksAndCanDeferAgain() throws {
        final class Target: FlushTarget, @unchecked Sendable {
            let name: String
            let log: Recorder<String>
            var again: (() -> Void)?
            var flushQueued = false
            init(_ name: String, _ log: Recorder<String>) { self.name = name; self.log = log }
            func flushDeferred() {
                log.record("flush \(name)")
                let next = again
                again = nil
                next?()
            }
        }
        let group = try EventLoopGroup(loopCount: 1, name: "t-flush")
        defer { group.shutdown() }
        let loop = group.loops[0]
        let log = Recorder<String>()
        loop.execute {
            let first = Target("a", log), second = Target("b", log)
            // A flush that produces more output (a waiter resumed) gets its own turn in the same pass.
            first.again = { loop.deferFlush(second) }
            loop.deferFlush(first)
            loop.deferFlush(first)  // asked twice in one iteration: flushed once
            loop.deferTask { log.record("task") }
        }
        #expect(eventually { log.all.count == 3 })
        #expect(log.all == ["task", "flush a", "flush b"])
    }

    @Test func scheduledTaskFiresAfterItsDelayAndCancelledOneNever() throws {
        let group = try EventLoopGroup(loopCount: 1, name: "t-timer")
        defer { group.shutdown() }
        let loop = group.loops[0]
        let fired = Recorder<String>()
        let start = MonotonicClock.now()
        let elapsed = Recorder<UInt64>()
        loop.execute {
            loop.scheduleTask(after: Nanoseconds.milliseconds(50)) {
                fired.record("late")
                elapsed.record(MonotonicClock.now() - start)
            }
            let cancelled = loop.scheduleTask(after: Nanoseconds.milliseconds(10)) { fired.record("cancelled") }
            loop.scheduleTask(after: Nanoseconds.milliseconds(20)) { fired.record("early") }
            cancelled.cancel()
        }
        #expect(eventually { fired.all.count == 2 })
        usleep(30_000)
        #expect(fired.all == ["early", "late"])
        #expect((elapsed.all.first ?? 0) >= Nanoseconds.milliseconds(50))
    }

    @Test func staleRegistrationForAReusedDescriptorIsIgnored() throws {
        let group = try EventLoopGroup(loopCount: 1, name: "t-stale")
        defer { group.shutdown() }
        let loop = group.loops[0]
        let first = CountingHandler(), second = CountingHandler()
        let result = Mutex<(Registration, Registration)?>(nil)
        let fd = eventfd(0, CBS_EFD_NONBLOCK | CBS_EFD_CLOEXEC)
        loop.execute {
            let old = try! loop.register(fd, events: .readable, handler: first)
            loop.deregister(old)
            // Same descriptor number, new registration: the old one must not remove or receive anything.
            let new = try! loop.register(fd, events: .readable, handler: second)
            loop.deregister(old)
            result.withLock { $0 = (old, new) }
        }
        #expect(eventually { result.withLock { $0 != nil } })
        let (old, new) = result.withLock { $0! }
        #expect(old.fd == new.fd)
        #expect(old != new)
        var one: UInt64 = 1
        _ = write(fd, &one, 8)
        #expect(eventually { !second.events.all.isEmpty })
        #expect(first.events.all.isEmpty)
        loop.execute { loop.deregister(new); closeDescriptor(fd) }
    }
}

@Suite("Errno policy")
struct ErrnoPolicyTests {
    @Test func emptyNonBlockingReadWouldBlock() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        _ = fcntl(fds[0], F_SETFL, O_NONBLOCK)
        defer { fds.forEach(closeDescriptor) }
        var byte: UInt8 = 0
        let result = try syscall("read") { read(fds[0], &byte, 1) }
        guard case .wouldBlock = result else {
            Issue.record("expected wouldBlock, got \(result)")
            return
        }
    }

    @Test func realFailuresThrowWithTheCallName() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        _ = fcntl(fds[0], F_SETFL, O_NONBLOCK)
        closeDescriptor(fds[0])
        defer { closeDescriptor(fds[1]) }
        signal(SIGPIPE, SIG_IGN)
        var byte: UInt8 = 1
        #expect(throws: SystemError(code: EPIPE, call: "write")) {
            _ = try syscall("write") { write(fds[1], &byte, 1) }
        }
    }

    @Test func listenOnABadPortIsAClearError() {
        #expect(throws: SocketError.self) { _ = try Socket.listen(host: "127.0.0.1", port: 70_000, reusePort: false) }
        do {
            _ = try Socket.listen(host: "no.such.host.invalid", port: 0, reusePort: false)
            Issue.record("resolving an invalid host succeeded")
        } catch {
            #expect("\(error)".contains("no.such.host.invalid"))
        }
    }
}

@Suite("Timer queue")
struct TimerQueueTests {
    final class Target: TimerTarget {
        var slot = DeadlineSlot()
        var fired: [UInt64] = []
        let loop: EventLoop
        init(loop: EventLoop) { self.loop = loop }
        func timerFired(deadline: UInt64, now: UInt64) {
            if slot.fire(queuedDeadline: deadline, now: now, target: self, loop: loop) { fired.append(now) }
        }
    }

    @Test func movingADeadlineLaterFiresOnlyAtTheLaterTime() throws {
        let group = try EventLoopGroup(loopCount: 1, name: "t-slot")
        defer { group.shutdown() }
        let loop = group.loops[0]
        let done = Recorder<UInt64>()
        loop.execute {
            let target = Target(loop: loop)
            let start = loop.now
            target.slot.set(start + Nanoseconds.milliseconds(10), target: target, loop: loop)
            target.slot.set(start + Nanoseconds.milliseconds(60), target: target, loop: loop)
            loop.scheduleTask(after: Nanoseconds.milliseconds(120)) {
                done.record(UInt64(target.fired.count))
                done.record((target.fired.first ?? 0) - start)
            }
        }
        #expect(eventually { done.all.count == 2 })
        #expect(done.all[0] == 1)
        #expect(done.all[1] >= Nanoseconds.milliseconds(60))
    }
}
