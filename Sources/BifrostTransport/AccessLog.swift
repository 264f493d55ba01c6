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

    /// `latency_ms` as logged, e.g. `3.6`.
    public var latencyMilliseconds: String {
        String(latencyTenthsOfMillisecond / 10) + "." + String(latencyTenthsOfMillisecond % 10)
    }

    /// The fields in name order, as `LineLogHandler` would print them.
    public var fields: [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = []
        fields.reserveCapacity(6)
        fields.append(("latency_ms", latencyMilliseconds))
        fields.append(("method", method))
        if let model { fields.append(("model", model)) }
        if let provider { fields.append(("provider", provider)) }
        fields.append(("route", route))
        fields.append(("status", String(status)))
        return fields
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
