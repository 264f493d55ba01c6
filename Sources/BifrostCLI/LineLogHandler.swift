import BifrostIO
import Glibc
import Logging
import Synchronization

/// One line per event, in swift-log's stream format
/// (`2026-11-25T16:54:19+0000 info bifrost.http: key=value [Module] message`), handed to a
/// ``LogWriter`` so that logging never blocks the thread that logs.
public struct LineLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let writer: LogWriter

    public init(label: String, writer: LogWriter = .standardError) {
        self.label = label
        self.writer = writer
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = event.metadata ?? [:]
        if !metadata.isEmpty || metadataProvider != nil {
            merged = metadata
            if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
            if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        }
        let fields = merged.sorted(by: { $0.key < $1.key })
        var line = LogLine(level: event.level, label: label)
        for (name, value) in fields { line.field(name, value.text) }
        line.finish(source: event.source, message: event.message.description)
        line.withBytes { writer.write(lineBytes: $0) }
    }

    /// Writes one line in this handler's format without going through swift-log: for the line per
    /// request, where building a `Logger.Metadata` dictionary and sorting it cost more than the line.
    /// `fields` adds the fields, in name order.
    public static func writeLine(level: Logger.Level, label: String, source: String, message: String,
                                 writer: LogWriter = .standardError, fields: (inout LogLine) -> Void) {
        var line = LogLine(level: level, label: label)
        fields(&line)
        line.finish(source: source, message: message)
        line.withBytes { writer.write(lineBytes: $0) }
    }
}

/// One line being built as bytes: `timestamp level label: key=value ... [source] message`.
public struct LogLine: ~Copyable {
    private var bytes = ByteWriter(capacity: 256)

    init(level: Logger.Level, label: String) {
        Timestamp.shared.append(to: &bytes)
        bytes.append(0x20)
        bytes.append(level.rawValue)
        if !label.isEmpty {
            bytes.append(0x20)
            bytes.append(label)
        }
        bytes.append(UInt8(ascii: ":"))
    }

    /// ` name=value`.
    public mutating func field(_ name: String, _ value: String) {
        start(name)
        bytes.append(value)
    }

    /// ` name=value` for a whole number.
    public mutating func field(_ name: String, _ value: Int) {
        start(name)
        bytes.appendDecimal(value)
    }

    /// ` name=value` for a count of tenths, printed with one decimal (`35` → `3.5`).
    public mutating func field(_ name: String, tenths: Int) {
        start(name)
        bytes.appendDecimal(tenths / 10)
        bytes.append(UInt8(ascii: "."))
        bytes.appendDecimal(abs(tenths % 10))
    }

    private mutating func start(_ name: String) {
        bytes.append(0x20)
        bytes.append(name)
        bytes.append(UInt8(ascii: "="))
    }

    /// Ends the line with ` [source] message`.
    mutating func finish(source: String, message: String) {
        bytes.append(0x20)
        bytes.append(UInt8(ascii: "["))
        bytes.append(source)
        bytes.append(UInt8(ascii: "]"))
        bytes.append(0x20)
        bytes.append(message)
    }

    /// Runs `body` with the line's bytes.
    func withBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try bytes.withBytes(body)
    }
}

extension Logger.MetadataValue {
    /// The value as printed: strings as they are, everything else as its description.
    fileprivate var text: String {
        if case .string(let text) = self { return text }
        return description
    }
}

/// The local time as `YYYY-MM-DDTHH:MM:SS+hhmm`, formatted once per second.
final class Timestamp: Sendable {
    static let shared = Timestamp()
    private let cache = Mutex<(second: Int, text: [UInt8])>((-1, []))

    /// Appends the current second's timestamp to `line`.
    func append(to line: inout ByteWriter) {
        var seconds = time(nil)
        let hit = cache.withLock { cached -> Bool in
            guard cached.second == seconds else { return false }
            cached.text.withUnsafeBufferPointer { line.append($0) }
            return true
        }
        if hit { return }
        var parts = tm()
        localtime_r(&seconds, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        let length = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &parts)
        let text = buffer[..<length].map { UInt8(bitPattern: $0) }
        cache.withLock { $0 = (seconds, text) }
        text.withUnsafeBufferPointer { line.append($0) }
    }
}
