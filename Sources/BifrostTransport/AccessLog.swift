import Logging

/// One finished request, as the access log records it: never keys or bodies.
public struct AccessRecord: Sendable {
    public let method: String
    /// The route pattern, never the raw path.
    public let route: String
    public let provider: String?
    public let model: String?
    public let status: Int
    /// Time from decoding the request to the last byte handed to the connection, in tenths of a millisecond.
    public let latencyTenthsOfMillisecond: Int

    /// Hands the fields, in name order, to `writer` (the one place that decides the line's fields).
    public func write<Writer: AccessFieldWriter & ~Copyable>(to writer: inout Writer) {
        writer.field("latency_ms", tenths: latencyTenthsOfMillisecond)
        writer.field("method", method)
        if let model { writer.field("model", model) }
        if let provider { writer.field("provider", provider) }
        writer.field("route", route)
        writer.field("status", status)
    }

    /// The fields in name order as strings (`latency_ms` like `3.6`).
    public var fields: [(name: String, value: String)] {
        var collector = FieldStrings()
        write(to: &collector)
        return collector.fields
    }
}

/// Receives an access record's fields (a log line builder, a metadata collector).
public protocol AccessFieldWriter: ~Copyable {
    mutating func field(_ name: String, _ value: String)
    mutating func field(_ name: String, _ value: Int)
    /// A count of tenths, written with one decimal (`35` → `3.5`).
    mutating func field(_ name: String, tenths: Int)
}

private struct FieldStrings: AccessFieldWriter {
    var fields: [(name: String, value: String)] = []

    mutating func field(_ name: String, _ value: String) { fields.append((name, value)) }
    mutating func field(_ name: String, _ value: Int) { fields.append((name, String(value))) }
    mutating func field(_ name: String, tenths: Int) {
        fields.append((name, String(tenths / 10) + "." + String(abs(tenths % 10))))
    }
}

/// Where the line per request goes, at info level.
public enum AccessLog: Sendable {
    /// swift-log: message `request`, with the record's fields as metadata.
    case logger
    /// A sink of the embedder's; the executable formats the same line straight into its log writer,
    /// skipping swift-log's metadata dictionary (about 2 µs a request).
    case sink(@Sendable (AccessRecord) -> Void)

    func record(_ record: AccessRecord, logger: Logger) {
        switch self {
        case .logger:
            var metadata = Logger.Metadata(minimumCapacity: 6)
            for (name, value) in record.fields { metadata[name] = .string(value) }
            logger.info("request", metadata: metadata)
        case .sink(let write):
            write(record)
        }
    }
}
