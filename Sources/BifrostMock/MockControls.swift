import BifrostHTTP

/// The per-request knobs, read from `x-mock-*` headers over the ``MockOptions`` defaults.
struct MockControls: Sendable {
    /// `x-mock-latency-ms`: delay before the response.
    var latencyMilliseconds: Int
    /// `x-mock-stall-ms`: length of `stall-headers` / `stall-stream` stalls.
    var stallMilliseconds: Int
    /// `x-mock-drip-ms`: pause between `slow-drip` events.
    var dripMilliseconds: Int
    /// `x-mock-chunks`: content deltas in a stream, or transfer chunks of a JSON body.
    var chunks: Int?
    /// `x-mock-fault`; nil when absent (the model name may still pick one).
    var fault: MockFault?

    /// A header value the mock could not use, described for the 400 it causes.
    struct Invalid: Error {
        let message: String
    }

    init(headers: HTTPHeaders, options: MockOptions) throws(Invalid) {
        latencyMilliseconds = try Self.milliseconds(headers, "x-mock-latency-ms") ?? options.latencyMilliseconds
        stallMilliseconds = try Self.milliseconds(headers, "x-mock-stall-ms") ?? options.stallMilliseconds
        dripMilliseconds = try Self.milliseconds(headers, "x-mock-drip-ms") ?? options.dripMilliseconds
        if let value = headers.first("x-mock-chunks") {
            guard let count = Int(value), (1...options.maxChunks).contains(count) else {
                throw Invalid(message: "x-mock-chunks must be a whole number from 1 to \(options.maxChunks), got \"\(value)\"")
            }
            chunks = count
        }
        if let name = headers.first("x-mock-fault") {
            guard let fault = MockFault(name: name) else {
                throw Invalid(message: "unknown x-mock-fault \"\(name)\"; use one of: \(MockFault.names)")
            }
            self.fault = fault
        }
    }

    private static func milliseconds(_ headers: HTTPHeaders, _ name: String) throws(Invalid) -> Int? {
        guard let value = headers.first(name) else { return nil }
        guard let milliseconds = Int(value), (0...3_600_000).contains(milliseconds) else {
            throw Invalid(message: "\(name) must be a whole number of milliseconds from 0 to 3600000, got \"\(value)\"")
        }
        return milliseconds
    }
}
