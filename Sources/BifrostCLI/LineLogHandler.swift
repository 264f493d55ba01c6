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
        var line = Timestamp.shared.now()
        line.reserveCapacity(256)
        line += " "
        line += event.level.rawValue
        if !label.isEmpty {
            line += " "
            line += label
        }
        line += ":"
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            line += " "
            line += key
            line += "="
            line += value.description
        }
        line += " ["
        line += event.source
        line += "] "
        line += event.message.description
        writer.write(line: line)
    }
}

/// The local time as `YYYY-MM-DDTHH:MM:SS+hhmm`, formatted once per second.
final class Timestamp: Sendable {
    static let shared = Timestamp()
    private let cache = Mutex<(second: Int, text: String)>((-1, ""))

    func now() -> String {
        var seconds = time(nil)
        if let cached = cache.withLock({ $0.second == seconds ? $0.text : nil }) { return cached }
        var parts = tm()
        localtime_r(&seconds, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        let length = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &parts)
        let text = String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        cache.withLock { $0 = (seconds, text) }
        return text
    }
}
