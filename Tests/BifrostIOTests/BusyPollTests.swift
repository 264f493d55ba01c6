@testable import BifrostIO
import CBifrostSystem
import Glibc
import Testing

/// Reads an eventfd when it becomes readable and records the value it held.
private final class EventFDReader: IOEventHandler, @unchecked Sendable {
    let fd: Int32
    let values = Recorder<UInt64>()
    init(fd: Int32) { self.fd = fd }
    func handleEvents(_ events: IOEvents) {
        var value: UInt64 = 0
        if read(fd, &value, 8) == 8 { values.record(value) }
    }
}

/// CPU time the calling thread has used, in nanoseconds.
private func threadCPUTime() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

@Suite("Busy polling")
struct BusyPollTests {
    @Test func aZeroWindowIsOffAndAWindowIsKeptInNanoseconds() {
        #expect(!BusyPoll.off.isOn)
        #expect(!BusyPoll(microseconds: 0).isOn)
        let poll = BusyPoll(microseconds: 200)
        #expect(poll.isOn)
        #expect(poll.nanoseconds == 200_000)
    }

    @Test func eventsTimersAndRemoteTasksArriveWhetherTheLoopPollsOrSleeps() throws {
        let group = try EventLoopGroup(loopCount: 1, name: "t-poll", busyPoll: BusyPoll(microseconds: 5_000))
        defer { group.shutdown() }
        let loop = group.loops[0]
        let fd = eventfd(0, CBS_EFD_NONBLOCK | CBS_EFD_CLOEXEC)
        let reader = EventFDReader(fd: fd)
        let fired = Recorder<String>()
        loop.execute {
            _ = try! loop.register(fd, events: .readable, handler: reader)
            loop.scheduleTask(after: Nanoseconds.milliseconds(1)) { fired.record("within the window") }
            loop.scheduleTask(after: Nanoseconds.milliseconds(60)) { fired.record("after it") }
        }
        var one: UInt64 = 1
        _ = write(fd, &one, 8)                       // while the loop polls
        #expect(eventually { reader.values.all == [1] })
        usleep(30_000)                               // the window is over: the loop sleeps
        var two: UInt64 = 2
        _ = write(fd, &two, 8)
        #expect(eventually { reader.values.all == [1, 2] })
        #expect(eventually { fired.all == ["within the window", "after it"] })
        let ran = Recorder<Bool>()
        loop.execute { ran.record(loop.inEventLoop) }
        #expect(eventually { ran.all == [true] })
        loop.execute { closeDescriptor(fd) }
    }

    @Test func anIdleLoopSleepsOnceTheWindowIsOver() throws {
        let group = try EventLoopGroup(loopCount: 1, name: "t-idle", busyPoll: BusyPoll(microseconds: BusyPoll.maximumMicroseconds))
        defer { group.shutdown() }
        let loop = group.loops[0]
        let cpu = Recorder<UInt64>()
        loop.execute { cpu.record(threadCPUTime()) }
        #expect(eventually { cpu.all.count == 1 })
        usleep(400_000)
        loop.execute { cpu.record(threadCPUTime()) }
        #expect(eventually { cpu.all.count == 2 })
        // One 10 ms window after the wake-up, then sleep; a loop that kept polling would use ~400 ms.
        let used = cpu.all[1] - cpu.all[0]
        #expect(used < Nanoseconds.milliseconds(150), "the idle loop used \(used / 1_000_000) ms of CPU")
    }
}
