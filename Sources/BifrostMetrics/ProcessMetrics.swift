#if canImport(Glibc)
import Glibc
#endif
import Prometheus
import Synchronization

/// The standard `process_*` metrics, read from `/proc` when ``update()`` is called (at scrape time).
///
/// `process_cpu_seconds_total`, `process_resident_memory_bytes`, `process_virtual_memory_bytes`,
/// `process_open_fds`, `process_max_fds`, `process_start_time_seconds`. Where `/proc` is missing
/// (not Linux) the values stay at zero.
public final class ProcessMetrics: Sendable {
    private let cpu: Counter
    private let resident: Gauge
    private let virtual: Gauge
    private let openFDs: Gauge
    private let maxFDs: Gauge
    private let startTime: Gauge
    /// CPU seconds already added to the counter; serializes updates.
    private let reportedCPU = Mutex<Double>(0)

    public init(registry: PrometheusCollectorRegistry) {
        cpu = registry.makeCounter(descriptor: Metric.name("process_cpu_seconds_total",
                                                           "Total user and system CPU time spent in seconds."))
        resident = registry.makeGauge(descriptor: Metric.name("process_resident_memory_bytes", "Resident memory size in bytes."))
        virtual = registry.makeGauge(descriptor: Metric.name("process_virtual_memory_bytes", "Virtual memory size in bytes."))
        openFDs = registry.makeGauge(descriptor: Metric.name("process_open_fds", "Number of open file descriptors."))
        maxFDs = registry.makeGauge(descriptor: Metric.name("process_max_fds", "Maximum number of open file descriptors."))
        startTime = registry.makeGauge(descriptor: Metric.name("process_start_time_seconds",
                                                               "Start time of the process since unix epoch in seconds."))
        if let stat = ProcStat.read(), let boot = ProcStat.bootTime() {
            startTime.set(to: boot + stat.startTicks / ProcStat.ticksPerSecond)
        }
        update()
    }

    /// Reads `/proc/self/stat`, `/proc/self/fd` and the descriptor limit into the gauges and counter.
    public func update() {
        reportedCPU.withLock { reported in
            if let stat = ProcStat.read() {
                let seconds = stat.cpuTicks / ProcStat.ticksPerSecond
                if seconds > reported {
                    cpu.increment(by: seconds - reported)
                    reported = seconds
                }
                virtual.set(to: stat.virtualBytes)
                resident.set(to: stat.residentPages * ProcStat.pageSize)
            }
            if let count = ProcStat.openDescriptors() { openFDs.set(Int64(count)) }
            var limit = rlimit()
            if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 {
                maxFDs.set(to: limit.rlim_cur == rlim_t.max ? Double(Int64.max) : Double(limit.rlim_cur))
            }
        }
    }
}

/// What `/proc/self/stat` says, in the units it says it.
struct ProcStat {
    var cpuTicks: Double
    var startTicks: Double
    var virtualBytes: Double
    var residentPages: Double

    static let ticksPerSecond: Double = {
        let ticks = sysconf(Int32(_SC_CLK_TCK))
        return ticks > 0 ? Double(ticks) : 100
    }()

    static let pageSize: Double = {
        let size = sysconf(Int32(_SC_PAGESIZE))
        return size > 0 ? Double(size) : 4096
    }()

    static func read() -> ProcStat? {
        guard let text = readFile("/proc/self/stat") else { return nil }
        return parse(text)
    }

    /// Parses the line: the command name (field 2) is parenthesized and may hold spaces, so fields
    /// are counted from the last `)`.
    static func parse(_ text: String) -> ProcStat? {
        guard let close = text.lastIndex(of: ")") else { return nil }
        // After ")": field 3 (state) is index 0, so field N is index N - 3.
        let fields = text[text.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        func field(_ number: Int) -> Double? {
            let index = number - 3
            guard index < fields.count else { return nil }
            return Double(fields[index].filter { $0 != "\n" })
        }
        guard let utime = field(14), let stime = field(15), let start = field(22), let vsize = field(23),
              let rss = field(24) else { return nil }
        return ProcStat(cpuTicks: utime + stime, startTicks: start, virtualBytes: vsize, residentPages: rss)
    }

    /// Seconds since the epoch at boot (`btime` in `/proc/stat`).
    static func bootTime() -> Double? {
        guard let text = readFile("/proc/stat") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst(6).filter { $0 != " " })
        }
        return nil
    }

    /// Entries of `/proc/self/fd` (the one used to list them included, as other exporters count).
    static func openDescriptors() -> Int? {
        guard let directory = opendir("/proc/self/fd") else { return nil }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let isDot = withUnsafeBytes(of: entry.pointee.d_name) { name in
                name[0] == UInt8(ascii: ".") && (name[1] == 0 || (name[1] == UInt8(ascii: ".") && name[2] == 0))
            }
            if !isDot { count += 1 }
        }
        return count
    }

    private static func readFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                bytes.append(contentsOf: chunk[0..<n])
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                break
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
