import BifrostIO
import CBifrostSystem
import Dispatch
import Glibc
import Testing

/// Calls `body` on each readiness event of an eventfd, after draining it.
private final class EventFDHandler: IOEventHandler, @unchecked Sendable {
    let fd: Int32
    let body: () -> Void
    init(fd: Int32, _ body: @escaping () -> Void) { self.fd = fd; self.body = body }
    func handleEvents(_ events: IOEvents) {
        var value: UInt64 = 0
        _ = read(fd, &value, 8)
        body()
    }
}

@Suite("Iteration order and load")
struct IterationTests {
    @Test func flushesQueuedByAnEventHandlerRunAfterTheIterationsTasks() throws {
        final class Target: FlushTarget, @unchecked Sendable {
            let log: Recorder<String>
            var flushQueued = false
            init(_ log: Recorder<String>) { self.log = log }
            func flushDeferred() { log.record("flush") }
        }
        let group = try EventLoopGroup(loopCount: 1, name: "t-order")
        defer { group.shutdown() }
        let loop = group.loops[0]
        let log = Recorder<String>()
        let target = Target(log)
        let fd = eventfd(0, CBS_EFD_NONBLOCK | CBS_EFD_CLOEXEC)
        let handler = EventFDHandler(fd: fd) {
            loop.deferFlush(target)
            loop.deferTask { log.record("task") }
        }
        let registered = Recorder<Bool>()
        loop.execute {
            _ = try! loop.register(fd, events: .readable, handler: handler)
            registered.record(true)
        }
        #expect(eventually { registered.all == [true] })
        var one: UInt64 = 1
        _ = write(fd, &one, 8)
        #expect(eventually { log.all.count == 2 })
        #expect(log.all == ["task", "flush"])
        loop.execute { closeDescriptor(fd) }
    }

    @Test func anIterationIsLightlyLoadedOnlyWhenItBeganWithFewEvents() throws {
        let group = try EventLoopGroup(loopCount: 1, name: "t-light")
        defer { group.shutdown() }
        let loop = group.loops[0]
        let seen = Recorder<Bool>()
        let fds = (0...EventLoop.lightBatch).map { _ in eventfd(0, CBS_EFD_NONBLOCK | CBS_EFD_CLOEXEC) }
        let handlers = fds.map { fd in EventFDHandler(fd: fd) { seen.record(loop.isLightlyLoaded) } }
        let registered = Recorder<Bool>()
        loop.execute {
            for (fd, handler) in zip(fds, handlers) { _ = try! loop.register(fd, events: .readable, handler: handler) }
            registered.record(true)
        }
        #expect(eventually { registered.all == [true] })
        var one: UInt64 = 1
        _ = write(fds[0], &one, 8)                   // one event alone
        #expect(eventually { seen.all == [true] })

        // Hold the loop while every descriptor becomes readable: its next wait returns them all at once.
        let holding = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        loop.execute { holding.signal(); release.wait() }
        holding.wait()
        for fd in fds { _ = write(fd, &one, 8) }
        release.signal()
        #expect(eventually { seen.all.count == 1 + fds.count })
        #expect(seen.all == [true] + Array(repeating: false, count: fds.count))
        loop.execute { for fd in fds { closeDescriptor(fd) } }
    }
}
