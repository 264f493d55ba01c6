import CBifrostSystem
import Glibc

/// Readiness flags, as delivered by epoll.
public struct IOEvents: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let readable = IOEvents(rawValue: CBS_EPOLLIN)
    public static let writable = IOEvents(rawValue: CBS_EPOLLOUT)
    public static let readHangup = IOEvents(rawValue: CBS_EPOLLRDHUP)
    public static let hangup = IOEvents(rawValue: CBS_EPOLLHUP)
    public static let error = IOEvents(rawValue: CBS_EPOLLERR)
    /// Edge-triggered: an event is reported once per transition, so the owner must read/write until it would block.
    public static let edgeTriggered = IOEvents(rawValue: CBS_EPOLLET)
}

/// A thin owner of one epoll instance and its preallocated event array.
struct Epoll: ~Copyable {
    let fd: Int32
    private var events: UnsafeMutablePointer<epoll_event>
    private var capacity: Int

    init(initialCapacity: Int = 256) throws {
        fd = try syscallBlocking("epoll_create1") { epoll_create1(CBS_EPOLL_CLOEXEC) }
        capacity = initialCapacity
        events = .allocate(capacity: initialCapacity)
    }

    deinit {
        events.deallocate()
        closeDescriptor(fd)
    }

    func add(_ descriptor: Int32, events mask: IOEvents, data: UInt64) throws {
        _ = try syscallBlocking("epoll_ctl(ADD)") { cbs_epoll_ctl(fd, CBS_EPOLL_CTL_ADD, descriptor, mask.rawValue, data) }
    }

    func modify(_ descriptor: Int32, events mask: IOEvents, data: UInt64) throws {
        _ = try syscallBlocking("epoll_ctl(MOD)") { cbs_epoll_ctl(fd, CBS_EPOLL_CTL_MOD, descriptor, mask.rawValue, data) }
    }

    func remove(_ descriptor: Int32) throws {
        _ = try syscallBlocking("epoll_ctl(DEL)") { cbs_epoll_ctl(fd, CBS_EPOLL_CTL_DEL, descriptor, 0, 0) }
    }

    /// Waits up to `timeoutMilliseconds` (-1 = forever); returns how many events are ready.
    /// Read them with ``event(at:)`` before the next wait.
    mutating func wait(timeoutMilliseconds: Int32) throws -> Int {
        switch try syscall("epoll_wait", { epoll_wait(fd, events, Int32(capacity), timeoutMilliseconds) }) {
        case .done(let n): return Int(n)
        case .wouldBlock: return 0
        }
    }

    /// The data and mask of ready event `index`.
    func event(at index: Int) -> (data: UInt64, events: IOEvents) {
        let event = events + index
        return (cbs_epoll_event_data(event), IOEvents(rawValue: cbs_epoll_event_mask(event)))
    }

    /// Doubles the event array after a wait that filled it, so busy loops see more per call.
    mutating func grow(ifFilledBy count: Int) {
        guard count == capacity else { return }
        events.deallocate()
        capacity *= 2
        events = .allocate(capacity: capacity)
    }
}
