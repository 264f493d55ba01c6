import BifrostPluginKit
import Synchronization

/// One command on its way to Redis and back.
///
/// `complete` runs at most once, from any thread: the reply, a failure, a timeout, the caller's
/// cancellation or (for calls made off the event loops) a watchdog, whichever comes first. A
/// command answered early stays in its connection's queue so that later replies still match their
/// commands; its reply is then dropped.
final class RedisCommand: Sendable {
    /// The encoded command.
    let bytes: [UInt8]
    /// Monotonic nanoseconds by which the reply must have arrived.
    let deadline: UInt64
    private let completion: Mutex<(@Sendable (Result<RESPValue, any Error>) -> Void)?>

    init(bytes: [UInt8], deadline: UInt64, completion: @escaping @Sendable (Result<RESPValue, any Error>) -> Void) {
        self.bytes = bytes
        self.deadline = deadline
        self.completion = Mutex(completion)
    }

    /// True once answered (or given up on).
    var isCompleted: Bool { completion.withLock { $0 == nil } }

    /// Delivers the outcome unless one was delivered already.
    func complete(_ result: Result<RESPValue, any Error>) {
        let pending = completion.withLock { current in
            defer { current = nil }
            return current
        }
        pending?(result)
    }
}

/// A first-in first-out queue of commands awaiting replies (replies come back in sending order).
struct CommandQueue {
    private var items: [RedisCommand] = []
    private var head = 0

    var count: Int { items.count - head }
    var isEmpty: Bool { head == items.count }
    var first: RedisCommand? { head < items.count ? items[head] : nil }

    mutating func append(_ command: RedisCommand) {
        items.append(command)
    }

    mutating func popFirst() -> RedisCommand? {
        guard head < items.count else { return nil }
        let command = items[head]
        head += 1
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 64 && head * 2 >= items.count {
            items.removeFirst(head)
            head = 0
        }
        return command
    }

    /// Empties the queue, returning what was in it.
    mutating func removeAll() -> [RedisCommand] {
        let all = Array(items[head...])
        items.removeAll()
        head = 0
        return all
    }
}
