import Synchronization

/// A plugin's log: lines go to the gateway's log with the plugin's name (and never block the
/// calling thread). Before the gateway installs its logger (or in a test), lines go to standard error.
public struct PluginLog: Sendable {
    /// How serious a line is.
    @frozen public enum Level: String, Sendable {
        case debug, info, warning, error
    }

    /// The plugin the lines are about.
    public let plugin: String

    public init(plugin: String) {
        self.plugin = plugin
    }

    public func debug(_ message: String) { Self.write(.debug, plugin, message) }
    public func info(_ message: String) { Self.write(.info, plugin, message) }
    public func warning(_ message: String) { Self.write(.warning, plugin, message) }
    public func error(_ message: String) { Self.write(.error, plugin, message) }

    private static let sink = Mutex<(@Sendable (Level, String, String) -> Void)?>(nil)

    /// Routes every plugin's lines to `sink` (the gateway calls this at start-up).
    public static func install(_ sink: @escaping @Sendable (_ level: Level, _ plugin: String, _ message: String) -> Void) {
        self.sink.withLock { $0 = sink }
    }

    private static func write(_ level: Level, _ plugin: String, _ message: String) {
        if let sink = sink.withLock({ $0 }) {
            sink(level, plugin, message)
        } else {
            print("\(level.rawValue) [\(plugin)] \(message)")
        }
    }
}

/// Writes at most one line per interval: for failures that repeat on every request (a backend
/// that is down) and must not flood the log.
public final class ThrottledLog: Sendable {
    private let log: PluginLog
    private let interval: Duration
    private let last = Mutex<ContinuousClock.Instant?>(nil)

    public init(_ log: PluginLog, every interval: Duration = .seconds(10)) {
        self.log = log
        self.interval = interval
    }

    /// Logs `message` as a warning unless a line went out less than the interval ago.
    public func warning(_ message: String) {
        let now = ContinuousClock.now
        let due = last.withLock { last -> Bool in
            if let last, now - last < interval { return false }
            last = now
            return true
        }
        if due { log.warning(message) }
    }
}
