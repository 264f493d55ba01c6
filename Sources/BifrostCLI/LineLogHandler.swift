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
        let fields = merged.sorted(by: { $0.key < $1.key }).map { (name: $0.key, value: $0.value.text) }
        writer.write(line: Self.line(level: event.level, label: label, fields: fields, source: event.source,
                                     message: event.message.description))
    }

    /// Writes one line in this handler's format without going through swift-log: for the line per
    /// request, where building a `Logger.Metadata` dictionary and sorting it cost more than the line.
    /// `fields` must already be in name order.
    public static func writeLine(level: Logger.Level, label: String, fields: [(name: String, value: String)], source: String,
                                 message: String, writer: LogWriter = .standardError) {
        writer.write(line: line(level: level, label: label, fields: fields, source: source, message: message))
    }

    /// `timestamp level label: key=value ... [source] message`, built as bytes in one allocation.
    static func line(level: Logger.Level, label: String, fields: [(name: String, value: String)], source: String,
                     message: String) -> [UInt8] {
        var line: [UInt8] = []
        line.reserveCapacity(256)
        Timestamp.shared.append(to: &line)
        line.append(0x20)
        line.append(contentsOf: level.rawValue.utf8)
        if !label.isEmpty {
            line.append(0x20)
            line.append(contentsOf: label.utf8)
        }
        line.append(UInt8(ascii: ":"))
        for (name, value) in fields {
            line.append(0x20)
            line.append(contentsOf: name.utf8)
            line.append(UInt8(ascii: "="))
            line.append(contentsOf: value.utf8)
        }
        line.append(contentsOf: " [".utf8)
        line.append(contentsOf: source.utf8)
        line.append(contentsOf: "] ".utf8)
        line.append(contentsOf: message.utf8)
        return line
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
    func append(to line: inout [UInt8]) {
        var seconds = time(nil)
        let hit = cache.withLock { cached -> Bool in
            guard cached.second == seconds else { return false }
            line.append(contentsOf: cached.text)
            return true
        }
        if hit { return }
        var parts = tm()
        localtime_r(&seconds, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        let length = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &parts)
        let text = buffer[..<length].map { UInt8(bitPattern: $0) }
        cache.withLock { $0 = (seconds, text) }
        line.append(contentsOf: text)
    }
}
