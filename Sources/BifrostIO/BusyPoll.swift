/// Busy polling: a lightly loaded loop (``EventLoop/isLightlyLoaded``) polls for a short while before it sleeps.
///
/// A loop that sleeps in `epoll_wait` between a request and its answer pays a wake-up per event;
/// on virtual machines that is tens of microseconds (the halted vCPU must be woken by the host).
/// Polling for a window after a small batch keeps the thread on its CPU, so an answer that comes
/// within the window is picked up at once. The price is CPU time: up to the window per event at
/// low load, none at high load, where batches are large and the loop does not poll. While polling
/// the loop yields to any thread waiting for its CPU. Off by default, as in HAProxy's
/// `busy-polling`: it suits latency-sensitive setups, not CPU quotas.
public struct BusyPoll: Sendable {
    /// The polling window in nanoseconds; 0 turns polling off.
    public let nanoseconds: UInt64

    /// The most a window may be: 10 ms.
    public static let maximumMicroseconds = 10_000

    /// Never poll: sleep in `epoll_wait` whenever there is nothing to do.
    public static let off = BusyPoll(nanoseconds: 0)

    /// Polls for `microseconds` (0 to ``maximumMicroseconds``) after a light batch.
    public init(microseconds: Int) {
        precondition((0...Self.maximumMicroseconds).contains(microseconds),
                     "busy-poll window \(microseconds) µs is outside 0...\(Self.maximumMicroseconds)")
        nanoseconds = UInt64(microseconds) * 1_000
    }

    private init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }

    /// Whether the loop polls at all (it then polls only while lightly loaded).
    var isOn: Bool { nanoseconds > 0 }
}
