import BifrostHTTP
import BifrostIO
import BifrostTLS
import Foundation
import Glibc
import Synchronization

// bifrost-bench-client: a closed-loop load generator for BifrostHTTP's client (`make bench-client`).
//
// C workers (Tasks), each sending keep-alive POSTs one after another and reading every body fully,
// until N requests are done in total (like `h2load -n N -c C -m 1`) or the duration has passed.
// Requests run on the client's event loops (1 by default, like `h2load -t 1`), worker i on loop i % L.
// Each request's latency (MonotonicClock, from `execute` to the end of the body) goes into a
// preallocated slot; the summary is one machine-readable line on stdout:
//
//   requests=N errors=E seconds=S rps=R mean_us=M p50_us=X p90_us=Y p99_us=Z max_us=W connections=K
//
// Percentiles and the mean are over successful requests (2xx, body read fully); rps counts those too.

let usage = """
    usage: bifrost-bench-client -url URL -concurrency C -requests N [-duration SECONDS] [-ca FILE]
                                [-body-file F | -body STRING] [-warmup N] [-loops L] [-insecure]

      -url URL          http:// or https:// URL to POST to
      -concurrency C    concurrent workers, each with its own keep-alive connection (default 1)
      -requests N       measured requests in total over all workers (with -duration: an upper bound,
                        default 5000000)
      -duration S       stop after S seconds instead (whichever of N and S comes first)
      -ca FILE          PEM file of trusted CAs for https (default: the system store)
      -insecure         do not verify the server certificate (like h2load)
      -body-file F      request body read from F (default: a ~400-byte chat completion request)
      -body STRING      request body given inline
      -warmup N         unmeasured requests first, over the same connections (default 0)
      -loops L          event loops of the client (default 1)
      -timeout S        per-request total timeout in seconds (default 30)
      -executor E       where worker tasks run: loop (default: the worker's event loop is the task
                        executor, so requests and their tasks share one thread, as in the gateway) or
                        global (Swift's cooperative pool: every response hops to a pool thread)
    """

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("bifrost-bench-client: \(message)\n".utf8))
    exit(2)
}

func warn(_ message: String) {
    FileHandle.standardError.write(Data("bifrost-bench-client: \(message)\n".utf8))
}

// MARK: - Flags

struct Options {
    var url: String?
    var concurrency = 1
    var requests: Int?
    var duration: Double?
    var caFile: String?
    var insecure = false
    var body: [UInt8]?
    var warmup = 0
    var loops = 1
    var timeout: Double = 30
    var loopExecutor = true
}

func parseOptions() -> Options {
    var options = Options()
    var arguments = CommandLine.arguments.dropFirst()
    func value(_ flag: String) -> String {
        guard let next = arguments.popFirst() else { fail("\(flag) needs a value\n\(usage)") }
        return next
    }
    func integer(_ flag: String, min: Int) -> Int {
        let text = value(flag)
        guard let number = Int(text), number >= min else { fail("\(flag): expected an integer ≥ \(min), got '\(text)'") }
        return number
    }
    func seconds(_ flag: String) -> Double {
        let text = value(flag)
        guard let number = Double(text), number > 0, number.isFinite else { fail("\(flag): expected seconds > 0, got '\(text)'") }
        return number
    }
    var sawBodyFlag = false
    while let argument = arguments.popFirst() {
        // Go-style single dash; accept --flag and -flag=value as well.
        var flag = argument
        if flag.hasPrefix("--") { flag.removeFirst() }
        if let equals = flag.firstIndex(of: "="), flag.hasPrefix("-") {
            arguments.insert(String(flag[flag.index(after: equals)...]), at: arguments.startIndex)
            flag = String(flag[..<equals])
        }
        switch flag {
        case "-url": options.url = value(flag)
        case "-concurrency", "-c": options.concurrency = integer(flag, min: 1)
        case "-requests", "-n": options.requests = integer(flag, min: 1)
        case "-duration", "-d": options.duration = seconds(flag)
        case "-ca": options.caFile = value(flag)
        case "-insecure", "-k": options.insecure = true
        case "-body":
            if sawBodyFlag { fail("give one of -body and -body-file") }
            sawBodyFlag = true
            options.body = Array(value(flag).utf8)
        case "-body-file":
            if sawBodyFlag { fail("give one of -body and -body-file") }
            sawBodyFlag = true
            let path = value(flag)
            guard let data = FileManager.default.contents(atPath: path) else { fail("-body-file: cannot read '\(path)'") }
            options.body = Array(data)
        case "-warmup": options.warmup = integer(flag, min: 0)
        case "-loops": options.loops = integer(flag, min: 1)
        case "-timeout": options.timeout = seconds(flag)
        case "-executor":
            switch value(flag) {
            case "global": options.loopExecutor = false
            case "loop": options.loopExecutor = true
            case let other: fail("-executor: expected global or loop, got '\(other)'")
            }
        case "-h", "-help": print(usage); exit(0)
        default: fail("unknown flag '\(argument)'\n\(usage)")
        }
    }
    guard options.url != nil else { fail("-url is required\n\(usage)") }
    guard options.requests != nil || options.duration != nil else { fail("give -requests N or -duration SECONDS\n\(usage)") }
    return options
}

/// A typical small chat completion request (~400 bytes).
let defaultBody = Array("""
    {"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are a helpful assistant. \
    Answer briefly and precisely."},{"role":"user","content":"Summarize the main differences between \
    HTTP/1.1 keep-alive and HTTP/2 multiplexing for a backend engineer in two or three sentences, \
    focusing on latency and connection reuse."}],"temperature":0.7,"max_tokens":256,"top_p":1,\
    "stream":false,"user":"bench-client"}
    """.utf8)

// MARK: - Shared state

/// Latency slots, one per measured request, written by whichever worker claimed the index.
/// Distinct workers never write the same slot; they are read only after every worker finished.
final class LatencySlots: @unchecked Sendable {
    static let failed = UInt64.max
    let pointer: UnsafeMutableBufferPointer<UInt64>
    init(count: Int) {
        // Not initialised up front: untouched pages cost no memory when -duration ends early.
        pointer = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: count)
    }
    subscript(index: Int) -> UInt64 {
        get { pointer[index] }
        set { pointer[index] = newValue }
    }
    deinit { pointer.deallocate() }
}

final class Run: Sendable {
    let limit: Int
    let deadline: UInt64?
    let next = Atomic<Int>(0)
    let errors = Atomic<Int>(0)
    let firstError = Mutex<String?>(nil)

    init(limit: Int, deadline: UInt64?) {
        self.limit = limit
        self.deadline = deadline
    }

    /// The next request's slot, or nil when the run is over.
    func claim() -> Int? {
        if let deadline, MonotonicClock.now() >= deadline { return nil }
        let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
        return index < limit ? index : nil
    }

    /// Slots claimed (and therefore filled) once every worker has finished.
    var claimed: Int { min(next.load(ordering: .relaxed), limit) }

    func recordError(_ message: String) {
        errors.wrappingAdd(1, ordering: .relaxed)
        firstError.withLock { if $0 == nil { $0 = message } }
    }
}

/// One request and its body, read fully. Returns an error message, or nil on success.
func exchange(_ client: HTTPClient, _ request: HTTPClientRequest, on loop: EventLoop) async -> String? {
    do {
        let response = try await client.execute(request, on: loop)
        _ = try await response.body.collect()
        let code = response.status.code
        return (200..<300).contains(code) ? nil : "HTTP status \(code)"
    } catch {
        return "\(error)"
    }
}

/// Runs `concurrency` workers until `run` says stop; `slots` records latencies when given.
func runWorkers(client: HTTPClient, request: HTTPClientRequest, loops: [EventLoop], executors: [EventLoop]?,
                concurrency: Int, run: Run, slots: LatencySlots?) async {
    await withTaskGroup(of: Void.self) { group in
        for worker in 0..<concurrency {
            let loop = loops[worker % loops.count]
            group.addTask(executorPreference: executors?[worker % loops.count]) {
                while let index = run.claim() {
                    let start = MonotonicClock.now()
                    let failure = await exchange(client, request, on: loop)
                    let elapsed = MonotonicClock.now() &- start
                    if let failure {
                        run.recordError(failure)
                        slots?[index] = LatencySlots.failed
                    } else {
                        slots?[index] = elapsed
                    }
                }
            }
        }
    }
}

// MARK: - Main

let options = parseOptions()
let limit = options.requests ?? 5_000_000

var headers = HTTPHeaders()
headers.add(name: "Content-Type", value: "application/json")
headers.add(name: "Accept", value: "application/json")
var timeouts = HTTPClientTimeouts()
timeouts.total = options.timeout
let request: HTTPClientRequest
do {
    request = try HTTPClientRequest(method: "POST", url: options.url!, headers: headers,
                                    body: options.body ?? defaultBody, timeouts: timeouts)
} catch {
    fail("\(error)")
}

var configuration = HTTPClientConfiguration()
configuration.maxConnectionsPerOrigin = max(configuration.maxConnectionsPerOrigin, options.concurrency)
configuration.tls.caFile = options.caFile
if options.insecure { configuration.tls.verifyPeer = false }

let group: EventLoopGroup
let client: HTTPClient
do {
    group = try EventLoopGroup(loopCount: options.loops, name: "bench-loop")
    client = try HTTPClient(group: group, configuration: configuration)
} catch {
    fail("cannot start the client: \(error)")
}

let executors = options.loopExecutor ? group.loops : nil
let slots = LatencySlots(count: limit)
let exitCode: Int32 = await {
    if options.warmup > 0 {
        let warmup = Run(limit: options.warmup, deadline: nil)
        await runWorkers(client: client, request: request, loops: group.loops, executors: executors, concurrency: options.concurrency,
                         run: warmup, slots: nil)
        let warmupErrors = warmup.errors.load(ordering: .relaxed)
        if warmupErrors > 0 {
            warn("warm-up: \(warmupErrors) of \(options.warmup) requests failed; first error: "
                 + (warmup.firstError.withLock { $0 } ?? "?"))
        }
    }

    let start = MonotonicClock.now()
    let run = Run(limit: limit, deadline: options.duration.map { start &+ Nanoseconds.seconds($0) })
    await runWorkers(client: client, request: request, loops: group.loops, executors: executors, concurrency: options.concurrency,
                     run: run, slots: slots)
    let elapsedNanoseconds = MonotonicClock.now() &- start
    let seconds = Double(elapsedNanoseconds) / 1e9

    let total = run.claimed
    var latencies: [UInt64] = []
    latencies.reserveCapacity(total)
    for index in 0..<total where slots[index] != LatencySlots.failed { latencies.append(slots[index]) }
    latencies.sort()
    let errors = run.errors.load(ordering: .relaxed)
    if errors != total - latencies.count {
        warn("internal: \(errors) errors counted but \(total - latencies.count) failed slots")
    }

    func percentile(_ p: Double) -> Double {
        guard !latencies.isEmpty else { return 0 }
        let rank = Int((p * Double(latencies.count)).rounded(.up)) - 1
        return Double(latencies[min(max(rank, 0), latencies.count - 1)]) / 1000
    }
    let mean = latencies.isEmpty ? 0 : Double(latencies.reduce(0, &+)) / Double(latencies.count) / 1000
    let connections = await client.connectionsOpened()

    if let message = run.firstError.withLock({ $0 }) {
        warn("\(errors) of \(total) requests failed; first error: \(message)")
    }
    func f(_ value: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", value) }
    print("requests=\(total) errors=\(errors) seconds=\(f(seconds, 3))"
          + " rps=\(f(seconds > 0 ? Double(latencies.count) / seconds : 0))"
          + " mean_us=\(f(mean)) p50_us=\(f(percentile(0.50))) p90_us=\(f(percentile(0.90)))"
          + " p99_us=\(f(percentile(0.99))) max_us=\(f(latencies.last.map { Double($0) / 1000 } ?? 0))"
          + " connections=\(connections)")
    fflush(nil)

    await client.shutdown()
    group.shutdown()
    return errors == 0 && total > 0 ? 0 : 1
}()
exit(exitCode)
