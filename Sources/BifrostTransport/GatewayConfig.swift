import BifrostCore
import BifrostHTTP
import BifrostPluginKit
import Foundation

/// What `config.json` configures: the `server` section (the HTTP listener) read here, and the
/// engine's `providers` and `plugins` read by ``BifrostConfig``.
///
/// ```json
/// { "server": { "event_loops": 2, "max_connections": 10000, "max_body_bytes": 33554432 } }
/// ```
public struct GatewayConfig: Sendable {
    /// Listener settings (host and port come from the command line).
    public var server = HTTPServerConfiguration()
    /// Event loop threads; defaults to one per core.
    public var eventLoops: Int?
    /// Providers and plugins.
    public var engine = BifrostConfig()
    /// The config file's directory: relative `local` plugin sources and the default plugin cache
    /// (`.bifrost/plugins`) start from it. `load(path:)` sets it; `parse` leaves the working directory.
    public var directory = "."

    public init() {}

    /// Reads and validates a config file. Every problem names the file and the offending key.
    public static func load(path: String) throws -> GatewayConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(file: path, message: "cannot read the file (does it exist and is it readable?)")
        }
        var config = try parse(data, path: path)
        config.directory = (path as NSString).deletingLastPathComponent
        if config.directory.isEmpty { config.directory = "." }
        return config
    }

    /// Parses config JSON. `path` is used only in error messages; `env.` values come from `environment`.
    public static func parse(_ data: Data, path: String = "config.json",
                             environment: [String: String] = ProcessInfo.processInfo.environment) throws -> GatewayConfig {
        let root: Any
        do {
            root = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw ConfigError(file: path, message: "not valid JSON: \(Self.describe(error))")
        }
        guard let object = root as? [String: Any] else {
            throw ConfigError(file: path, message: "the top level must be a JSON object")
        }
        var config = GatewayConfig()
        if let server = object["server"] {
            guard let section = server as? [String: Any] else {
                throw ConfigError(file: path, message: "\"server\" must be an object")
            }
            try config.readServer(section, path: path)
        }
        let tree = try JSONDecoder().decode(JSONValue.self, from: data)
        config.engine = try BifrostConfig.parse(tree, file: path, environment: environment)
        for key in object.keys.sorted() where !Self.topLevelKeys.contains(key) {
            config.engine.warnings.append("\(key): unknown top-level section, ignored (known: \(Self.topLevelKeys.joined(separator: ", ")))")
        }
        return config
    }

    private mutating func readServer(_ section: [String: Any], path: String) throws {
        let reader = ConfigReader(section: section, prefix: "server", path: path)
        try reader.rejectUnknownKeys(ServerKey.allCases.map(\.rawValue))
        if let value = try reader.integer(ServerKey.eventLoops.rawValue, in: 1...256) { eventLoops = value }
        if let value = try reader.integer(ServerKey.maxConnections.rawValue, in: 1...1_000_000) { server.maxConnections = value }
        if let value = try reader.integer(ServerKey.maxHeaderBytes.rawValue, in: 1024...1_048_576) { server.parserLimits.maxHeadBytes = value }
        if let value = try reader.integer(ServerKey.maxHeaderCount.rawValue, in: 1...10_000) { server.parserLimits.maxHeaderCount = value }
        if let value = try reader.integer(ServerKey.maxBodyBytes.rawValue, in: 0...(1 << 34)) { server.maxBodyBytes = value }
        if let value = try reader.seconds(ServerKey.idleTimeout.rawValue) { server.idleTimeout = value }
        if let value = try reader.seconds(ServerKey.headerReadTimeout.rawValue) { server.headerReadTimeout = value }
        if let value = try reader.seconds(ServerKey.bodyReadTimeout.rawValue) { server.bodyReadTimeout = value }
        if let value = try reader.seconds(ServerKey.writeTimeout.rawValue) { server.writeTimeout = value }
        if let value = try reader.seconds(ServerKey.shutdownGracePeriod.rawValue, allowZero: true) { server.shutdownGracePeriod = value }
    }

    /// Top-level sections this gateway reads (`mcp` is accepted for compatibility with Bifrost's format).
    public static let topLevelKeys = ["server", "providers", "plugins", "mcp"]

    /// The keys of the `server` section, as written in `config.json`.
    public enum ServerKey: String, CaseIterable, Sendable {
        case eventLoops = "event_loops"
        case maxConnections = "max_connections"
        case maxHeaderBytes = "max_header_bytes"
        case maxHeaderCount = "max_header_count"
        case maxBodyBytes = "max_body_bytes"
        case idleTimeout = "idle_timeout_seconds"
        case headerReadTimeout = "header_read_timeout_seconds"
        case bodyReadTimeout = "body_read_timeout_seconds"
        case writeTimeout = "write_timeout_seconds"
        case shutdownGracePeriod = "shutdown_grace_period_seconds"
    }

    private static func describe(_ error: any Error) -> String {
        let nsError = error as NSError
        return (nsError.userInfo[NSDebugDescriptionErrorKey] as? String) ?? nsError.localizedDescription
    }
}

/// Typed access to one JSON object of the config, with errors that name the key.
struct ConfigReader {
    let section: [String: Any]
    let prefix: String
    let path: String

    func rejectUnknownKeys(_ known: [String]) throws {
        if let unknown = section.keys.sorted().first(where: { !known.contains($0) }) {
            throw ConfigError(file: path, message: "\(prefix).\(unknown): unknown key (known keys: \(known.joined(separator: ", ")))")
        }
    }

    func integer(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let raw = section[key] else { return nil }
        guard let number = raw as? NSNumber, !isBoolean(number), number.doubleValue == number.doubleValue.rounded() else {
            throw ConfigError(file: path, message: "\(prefix).\(key): must be an integer")
        }
        let value = number.intValue
        guard range.contains(value) else {
            throw ConfigError(file: path, message: "\(prefix).\(key): \(value) is out of range \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    func seconds(_ key: String, allowZero: Bool = false) throws -> Double? {
        guard let raw = section[key] else { return nil }
        guard let number = raw as? NSNumber, !isBoolean(number) else {
            throw ConfigError(file: path, message: "\(prefix).\(key): must be a number of seconds")
        }
        let value = number.doubleValue
        guard value.isFinite, allowZero ? value >= 0 : value > 0, value <= 86_400 else {
            throw ConfigError(file: path, message: "\(prefix).\(key): \(value) must be \(allowZero ? "0" : "more than 0") to 86400 seconds")
        }
        return value
    }

    private func isBoolean(_ number: NSNumber) -> Bool {
        String(cString: number.objCType) == "c" && "\(type(of: number))".contains("Boolean")
    }
}
