/// Something that owns a deadline on an event loop (a connection's idle timer, a one-shot task).
public protocol TimerTarget: AnyObject {
    /// Called on the loop thread when a deadline scheduled for this target has passed.
    /// `deadline` is the value passed to ``EventLoop/schedule(_:at:)``; the target decides
    /// whether it is still current (deadlines are never removed from the queue, only ignored).
    func timerFired(deadline: UInt64, now: UInt64)
}

/// A binary min-heap of deadlines. Loop-confined; cancellation is lazy (targets ignore stale deadlines),
/// which keeps rescheduling a connection's timer at O(1) in the common case of a later deadline.
struct TimerQueue {
    private struct Entry {
        var deadline: UInt64
        var sequence: UInt64
        var target: any TimerTarget
    }

    private var heap: [Entry] = []
    private var sequence: UInt64 = 0

    var isEmpty: Bool { heap.isEmpty }
    var count: Int { heap.count }
    var earliest: UInt64? { heap.first?.deadline }

    mutating func push(_ target: any TimerTarget, at deadline: UInt64) {
        sequence &+= 1
        heap.append(Entry(deadline: deadline, sequence: sequence, target: target))
        siftUp(heap.count - 1)
    }

    /// Removes and returns the earliest entry whose deadline is at or before `now`.
    mutating func popExpired(now: UInt64) -> (target: any TimerTarget, deadline: UInt64)? {
        guard let first = heap.first, first.deadline <= now else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            siftDown(0)
        }
        return (first.target, first.deadline)
    }

    private func less(_ a: Int, _ b: Int) -> Bool {
        let x = heap[a], y = heap[b]
        return x.deadline < y.deadline || (x.deadline == y.deadline && x.sequence < y.sequence)
    }

    private mutating func siftUp(_ index: Int) {
        var child = index
        while child > 0 {
            let parent = (child - 1) / 2
            guard less(child, parent) else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ index: Int) {
        var parent = index
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { return }
            var smallest = left
            if left + 1 < heap.count, less(left + 1, left) { smallest = left + 1 }
            guard less(smallest, parent) else { return }
            heap.swapAt(smallest, parent)
            parent = smallest
        }
    }
}

/// Keeps one logical deadline for a target while pushing as few heap entries as possible.
///
/// Moving the deadline later costs nothing: the queued entry fires early, sees the later deadline
/// and re-queues itself once. Moving it earlier pushes a new entry.
public struct DeadlineSlot {
    /// The deadline that counts, or `nil` for none.
    public private(set) var deadline: UInt64?
    private var queued: UInt64?

    public init() {}

    /// Sets (or clears) the deadline, queueing an entry on `loop` when needed.
    public mutating func set(_ newDeadline: UInt64?, target: any TimerTarget, loop: EventLoop) {
        deadline = newDeadline
        guard let newDeadline else { return }
        if queued == nil || newDeadline < queued! {
            queued = newDeadline
            loop.schedule(target, at: newDeadline)
        }
    }

    /// Call from `timerFired`. Returns true when the real deadline has passed; re-queues when it moved later.
    public mutating func fire(queuedDeadline: UInt64, now: UInt64, target: any TimerTarget, loop: EventLoop) -> Bool {
        if queuedDeadline == queued { queued = nil }
        guard let deadline else { return false }
        if deadline <= now {
            self.deadline = nil
            return true
        }
        if queued == nil || deadline < queued! {
            queued = deadline
            loop.schedule(target, at: deadline)
        }
        return false
    }
}
