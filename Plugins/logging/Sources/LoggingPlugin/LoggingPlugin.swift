import BifrostPluginKit
import Synchronization

/// One JSON line per request (time, request id, virtual key, provider, model, status, latency,
/// token usage, whether a fallback answered; bodies only when configured; never keys or headers)
/// to a size-rotated file, written by a background thread; `cleanup()` writes everything queued.
///
/// Put it first in the plugin list: its PostHook then runs last and sees the final answer, the
/// virtual key set by `auth` and the cache status set by `cache`, and requests other plugins
/// reject are logged too.
///
/// A request with fallbacks runs the hooks once per attempt; a failed attempt that will be
/// followed by a fallback is held back, so the line written is the request's final outcome.
public final class LoggingPlugin: Plugin {
    /// The context key of the request id (`String`): the `x-request-id` header, else generated.
    public static let requestIDContextKey = "bifrost.request_id"
    static let traceContextKey = "logging.trace"
    static let attemptContextKey = "logging.attempt"

    public let name = "logging"
    public let configuration: LoggingConfiguration
    public let writer: LogFileWriter

    /// Direct instantiation; opens the file and starts the writer thread.
    public init(configuration: LoggingConfiguration, beforeEachWrite: (@Sendable () -> Void)? = nil) throws {
        self.configuration = configuration
        writer = try LogFileWriter(path: configuration.path, maxFileBytes: configuration.maxFileBytes,
                                   maxFiles: configuration.maxFiles, capacity: configuration.bufferRecords,
                                   beforeEachWrite: beforeEachWrite)
    }

    /// `Init` from the plugin's `config` JSON (see README.md).
    public convenience init(config: JSONValue) throws {
        try self.init(configuration: LoggingConfiguration(json: config))
    }

    public func preHook(_ context: BifrostContext, _ request: BifrostRequest) async throws -> (BifrostRequest, PluginShortCircuit?) {
        if context.value(Self.traceContextKey, as: RequestTrace.self) == nil {
            let requestID = context.value(Self.requestIDContextKey, as: String.self)
                ?? context.header("x-request-id").map { String($0.prefix(128)) }
                ?? Self.generateID()
            context.set(Self.requestIDContextKey, requestID)
            context.set(Self.traceContextKey, RequestTrace(requestID: requestID, primary: request, writer: writer))
        }
        context.set(Self.attemptContextKey, request)
        return (request, nil)
    }

    public func postHook(_ context: BifrostContext, _ response: BifrostResponse?, _ error: BifrostError?) async throws
        -> (BifrostResponse?, BifrostError?) {
        guard let trace = context.value(Self.traceContextKey, as: RequestTrace.self),
              let attempt = context.value(Self.attemptContextKey, as: BifrostRequest.self) else { return (response, error) }
        let primary = trace.primary
        let isFallback = attempt.provider != primary.provider || attempt.model != primary.model
        var record = LogRecord(
            time: trace.wallStart, requestID: trace.requestID,
            virtualKey: context.value("bifrost.virtual_key", as: String.self),
            provider: attempt.provider, model: attempt.model, kind: attempt.input.kind.rawValue, stream: attempt.stream,
            status: error?.httpStatus ?? 200, latency: ContinuousClock.now - trace.started, usage: response?.usage,
            fallback: isFallback, primaryProvider: primary.provider, primaryModel: primary.model,
            cache: context.value("bifrost.cache", as: String.self),
            errorType: error?.error.type ?? error?.type, errorMessage: error?.error.message)
        if configuration.includeBodies {
            record.request = attempt
            record.response = response
        }
        if let error, error.fallbacksAllowed, !context.isCancelled, Self.fallbacksLeft(after: attempt, primary: primary) > 0 {
            trace.hold(record)  // a fallback may follow; written when the request ends if none does
        } else {
            trace.hold(nil)
            writer.enqueue(record)
        }
        return (response, error)
    }

    public func cleanup() async throws {
        await writer.close()
    }

    /// Fallbacks the engine may still try after `attempt`.
    static func fallbacksLeft(after attempt: BifrostRequest, primary: BifrostRequest) -> Int {
        let fallbacks = primary.fallbacks
        if attempt.provider == primary.provider && attempt.model == primary.model { return fallbacks.count }
        guard let position = fallbacks.firstIndex(where: { $0.provider == attempt.provider && $0.model == attempt.model }) else { return 0 }
        return fallbacks.count - position - 1
    }

    static func generateID() -> String {
        let hex = Array("0123456789abcdef".utf8)
        var value = UInt64.random(in: 0...UInt64.max)
        var text: [UInt8] = []
        for _ in 0..<16 {
            text.append(hex[Int(value & 0xF)])
            value >>= 4
        }
        return String(decoding: text, as: UTF8.self)
    }
}

/// One request's logging state, kept in its context. A record held back (a failed attempt that a
/// fallback may follow) is written when a later attempt replaces it or, if none does (every
/// remaining fallback was skipped), when the request's context is released.
final class RequestTrace: Sendable {
    let requestID: String
    let primary: BifrostRequest
    let started = ContinuousClock.now
    let wallStart = LogRecord.now()
    private let writer: LogFileWriter
    private let held = Mutex<LogRecord?>(nil)

    init(requestID: String, primary: BifrostRequest, writer: LogFileWriter) {
        self.requestID = requestID
        self.primary = primary
        self.writer = writer
    }

    func hold(_ record: LogRecord?) {
        held.withLock { $0 = record }
    }

    deinit {
        if let record = held.withLock({ $0 }) { writer.enqueue(record) }
    }
}
