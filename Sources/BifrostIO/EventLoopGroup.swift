import CBifrostSystem
import Glibc
import Synchronization

/// A fixed set of event loops, one thread each, that never migrate.
public final class EventLoopGroup: Sendable {
    /// The loops, in index order.
    public let loops: [EventLoop]
    private let threads: Mutex<[pthread_t]>
    private let nextIndex = Atomic<Int>(0)

    /// The number of loops to use by default: one per online core.
    public static var defaultLoopCount: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    /// Starts `count` loop threads named `name-<index>`, each polling as `busyPoll` says before it sleeps.
    ///
    /// Also sets SIGPIPE to ignored for the process: TLS writes go through `write(2)`, and a peer that
    /// vanished must be an `EPIPE`, not the end of the process.
    public init(loopCount count: Int = EventLoopGroup.defaultLoopCount, name: String = "bifrost-loop",
                busyPoll: BusyPoll = .off) throws {
        precondition(count > 0, "an event loop group needs at least one loop")
        signal(SIGPIPE, SIG_IGN)
        let loops = try (0..<count).map { try EventLoop(index: $0, busyPoll: busyPoll) }
        self.loops = loops
        var started: [pthread_t] = []
        for loop in loops {
            started.append(try Self.startThread(name: "\(name)-\(loop.index)") { loop.run() })
        }
        threads = Mutex(started)
    }

    /// Round-robin choice of a loop.
    public func next() -> EventLoop {
        loops[nextIndex.wrappingAdd(1, ordering: .relaxed).oldValue % loops.count]
    }

    /// Stops every loop after its current iteration and joins the threads. Idempotent.
    /// Must not be called from one of the group's loops.
    public func shutdown() {
        precondition(!loops.contains { $0.inEventLoop }, "EventLoopGroup.shutdown() called from one of its own loops")
        let joining = threads.withLock { threads -> [pthread_t] in
            let all = threads
            threads = []
            return all
        }
        guard !joining.isEmpty else { return }
        for loop in loops { loop.stop() }
        for thread in joining { pthread_join(thread, nil) }
    }

    private final class ThreadBody {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    private static func startThread(name: String, _ body: @escaping () -> Void) throws -> pthread_t {
        var thread = pthread_t()
        let box = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
        let rc = pthread_create(&thread, nil, { raw in
            let box = Unmanaged<ThreadBody>.fromOpaque(raw!).takeRetainedValue()
            box.body()
            return nil
        }, box)
        guard rc == 0 else {
            Unmanaged<ThreadBody>.fromOpaque(box).release()
            throw SystemError(code: rc, call: "pthread_create")
        }
        _ = cbs_set_thread_name(thread, name)
        return thread
    }
}
