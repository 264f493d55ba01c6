import BifrostIO
import Dispatch
import Foundation
import Glibc
import Synchronization

/// Writes log lines to a file descriptor from a thread of its own, so that no event-loop thread
/// ever blocks on a slow standard error (a full pipe, a stalled `docker logs`).
///
/// Lines are appended to a bounded in-memory buffer; when it is full, lines are dropped and counted,
/// and the count is reported once there is room again. ``flush(timeout:)`` waits until everything
/// buffered so far is written (at exit).
public final class LogWriter: Sendable {
    /// The writer for standard error, started on first use.
    public static let standardError = LogWriter(fileDescriptor: STDERR_FILENO)

    private let fileDescriptor: Int32
    private let capacity: Int
    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)

    private struct State {
        var pending: [UInt8] = []
        var dropped = 0
        var writing = false
        var started = false
        /// Bytes ever accepted, and bytes written; flush waits for the latter to catch up.
        var accepted = 0
        var written = 0
    }

    /// A writer for `fileDescriptor` that buffers at most `capacity` bytes.
    public init(fileDescriptor: Int32, capacity: Int = 8 << 20) {
        self.fileDescriptor = fileDescriptor
        self.capacity = capacity
    }

    /// Queues one line (a newline is added); never blocks on the file descriptor.
    public func write(line: String) {
        var line = line
        line.withUTF8 { write(lineBytes: UnsafeRawBufferPointer($0)) }
    }

    /// Queues one line given as its bytes (a newline is added); never blocks on the file descriptor.
    public func write(lineBytes bytes: UnsafeRawBufferPointer) {
        let signal = state.withLock { state -> Bool in
            guard state.pending.count + bytes.count + 1 <= capacity else {
                state.dropped += 1
                return false
            }
            state.pending.append(contentsOf: bytes)
            state.pending.append(0x0A)
            state.accepted += bytes.count + 1
            let startWriter = !state.started
            state.started = true
            if startWriter { startThread() }
            if state.writing { return false }
            state.writing = true
            return true
        }
        if signal { wake.signal() }
    }

    /// Waits (up to `timeout` seconds) until every line queued before the call has been written.
    public func flush(timeout: Double = 2) {
        let target = state.withLock { $0.accepted }
        let deadline = DispatchTime.now() + timeout
        while state.withLock({ $0.written < target }) && DispatchTime.now() < deadline {
            usleep(1_000)
        }
    }

    /// Lines dropped since the last report because the buffer was full.
    public var droppedLines: Int { state.withLock { $0.dropped } }

    /// Bytes waiting for the writer thread.
    public var bufferedBytes: Int { state.withLock { $0.pending.count } }

    private func startThread() {
        let thread = Thread { [self] in run() }
        thread.name = "bifrost-log"
        thread.start()
    }

    private func run() {
        // Stop signals belong to the thread that waits for them, never to this one.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGINT)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        var batch: [UInt8] = []
        while true {
            wake.wait()
            while true {
                let dropped = state.withLock { state -> Int? in
                    if state.pending.isEmpty {
                        state.writing = false
                        return nil
                    }
                    swap(&batch, &state.pending)
                    defer { state.dropped = 0 }
                    return state.dropped
                }
                guard let dropped else { break }
                writeAll(batch)
                if dropped > 0 { writeAll(Array("\(dropped) log lines dropped: standard error was too slow\n".utf8)) }
                let count = batch.count
                batch.removeAll(keepingCapacity: batch.capacity <= 1 << 20)
                state.withLock { $0.written += count }
                // Let lines gather: under load this makes one write per interval instead of one per
                // line, and loggers never signal while the writer is in this loop. The first line after
                // a quiet spell is written at once; later ones wait at most one interval.
                usleep(Self.gatherMicroseconds)
            }
        }
    }

    /// How long lines gather between writes under steady traffic. Each write and each wake-up of this
    /// thread costs system time that the event loops' CPUs could use (on this project's VMs, tens to
    /// hundreds of microseconds of CPU each); 20 ms is far below what anyone reading the log can notice.
    private static let gatherMicroseconds: UInt32 = 20_000

    private func writeAll(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { writeFully(fileDescriptor, $0) }
    }
}
