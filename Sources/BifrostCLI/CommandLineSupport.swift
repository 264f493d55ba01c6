import Glibc
import Logging

/// What the executables share: log set-up and the stop signals.
public enum CommandLineSupport {
    /// Parses a `-log-level` value: debug, info, warn (warning) or error.
    public static func logLevel(_ name: String) -> Logger.Level? {
        switch name.lowercased() {
        case "debug": .debug
        case "info": .info
        case "warn", "warning": .warning
        case "error": .error
        default: nil
        }
    }

    /// Sends logs to standard error at the level from the flag, else `BIFROST_LOG_LEVEL`, else info.
    /// Lines are written by a thread of their own (``LogWriter``) and flushed when the process exits.
    public static func bootstrapLogging(flag: String?) {
        let name = flag ?? getenv("BIFROST_LOG_LEVEL").map { String(cString: $0) } ?? "info"
        let level = logLevel(name) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = LineLogHandler(label: label)
            handler.logLevel = level
            return handler
        }
        atexit { LogWriter.standardError.flush() }
    }
}

/// SIGTERM and SIGINT, delivered to one waiting thread instead of interrupting whatever runs.
///
/// ``block()`` must run before any other thread starts, so that every thread inherits the mask;
/// SIGPIPE is ignored at the same time (a vanished peer is an errno, not the end of the process).
public struct StopSignals {
    private var set = sigset_t()

    /// Blocks SIGTERM/SIGINT in the calling thread (and the threads it starts later).
    public static func block() -> StopSignals {
        signal(SIGPIPE, SIG_IGN)
        var signals = StopSignals()
        sigemptyset(&signals.set)
        sigaddset(&signals.set, SIGTERM)
        sigaddset(&signals.set, SIGINT)
        pthread_sigmask(SIG_BLOCK, &signals.set, nil)
        return signals
    }

    /// Waits for SIGTERM or SIGINT and returns its name.
    public func wait() -> String {
        var set = self.set
        var received: Int32 = 0
        sigwait(&set, &received)
        return received == SIGTERM ? "SIGTERM" : "SIGINT"
    }
}
