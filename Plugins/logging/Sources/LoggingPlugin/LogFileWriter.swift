import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Appends log records to a file on a thread of its own, so requests only pay for appending to an
/// in-memory queue (a slow disk delays the writer, never a request). When the queue is full the
/// record is dropped and counted, and the count is written to the file as its own line.
///
/// Rotation is by size: before a line would take the file past `maxFileBytes`, `<path>` becomes
/// `<path>.1`, `<path>.1` becomes `<path>.2`, … and the oldest beyond `maxFiles` is deleted.
/// `close()` writes everything queued, then stops the thread.
public final class LogFileWriter: Sendable {
    private struct Queue {
        var records: [LogRecord] = []
        var dropped = 0
        var closing = false
    }

    public let path: String
    private let maxFileBytes: Int
    private let maxFiles: Int
    private let capacity: Int
    private let queue = Mutex(Queue())
    private let wakeup = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    /// Tests slow the writer down with this, to show requests do not wait for it.
    let beforeEachWrite: (@Sendable () -> Void)?

    /// Opens (creating it and its directory when missing) `path` for appending and starts the writer thread.
    public init(path: String, maxFileBytes: Int, maxFiles: Int, capacity: Int, beforeEachWrite: (@Sendable () -> Void)? = nil) throws {
        self.path = path
        self.maxFileBytes = maxFileBytes
        self.maxFiles = maxFiles
        self.capacity = capacity
        self.beforeEachWrite = beforeEachWrite
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        let fd = Self.open(path)
        guard fd >= 0 else { throw LogFileError("cannot open \(path) for appending: \(String(cString: strerror(errno)))") }
        let thread = Thread { [self] in run(fd: fd) }
        thread.name = "bifrost-logging"
        thread.start()
    }

    /// Queues `record` for writing; never blocks on the disk.
    public func enqueue(_ record: LogRecord) {
        let accepted = queue.withLock { queue -> Bool in
            guard !queue.closing, queue.records.count < capacity else {
                queue.dropped += 1
                return false
            }
            queue.records.append(record)
            return true
        }
        if accepted { wakeup.signal() }
    }

    /// Records dropped so far because the queue was full (or the writer closed).
    public var droppedCount: Int { queue.withLock { $0.dropped } }

    /// Writes what is queued, syncs and closes the file. Later records are dropped.
    public func close() async {
        let first = queue.withLock { queue -> Bool in
            defer { queue.closing = true }
            return !queue.closing
        }
        guard first else { return }
        wakeup.signal()
        let finished = self.finished
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                finished.wait()
                continuation.resume()
            }
        }
    }

    // MARK: The writer thread

    private func run(fd initial: Int32) {
        var fd = initial
        var size = Int(lseek(fd, 0, SEEK_END))
        var reportedDrops = 0
        while true {
            wakeup.wait()
            let (batch, dropped, closing) = queue.withLock { queue in
                defer { queue.records.removeAll(keepingCapacity: true) }
                return (queue.records, queue.dropped, queue.closing)
            }
            var lines = batch.map { $0.jsonLine() }
            if dropped > reportedDrops {
                lines.append(Array("{\"event\":\"records_dropped\",\"count\":\(dropped - reportedDrops)}\n".utf8))
                reportedDrops = dropped
            }
            for line in lines {
                beforeEachWrite?()
                if size > 0, size + line.count > maxFileBytes {
                    fd = rotate(fd)
                    size = 0
                }
                size += Self.writeAll(fd, line)
            }
            if closing {
                fsync(fd)
                Glibc.close(fd)
                finished.signal()
                return
            }
        }
    }

    /// Shifts `<path>.n` to `<path>.n+1` (dropping the oldest), moves `<path>` to `<path>.1`, reopens.
    private func rotate(_ fd: Int32) -> Int32 {
        Glibc.close(fd)
        if maxFiles == 0 {
            unlink(path)
        } else {
            unlink("\(path).\(maxFiles)")
            for index in stride(from: maxFiles - 1, through: 1, by: -1) { rename("\(path).\(index)", "\(path).\(index + 1)") }
            rename(path, "\(path).1")
        }
        return Self.open(path)
    }

    private static func open(_ path: String) -> Int32 {
        Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
    }

    /// Writes all of `bytes` (retrying short writes and EINTR); returns the bytes written.
    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Int {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return offset
            }
            offset += n
        }
        return offset
    }
}

/// The log file cannot be used.
public struct LogFileError: Error, CustomStringConvertible, Sendable {
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}
