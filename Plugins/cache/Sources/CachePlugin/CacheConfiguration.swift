import BifrostPluginKit

/// The cache plugin's settings (see README.md for the JSON form).
public struct CacheConfiguration: Sendable {
    public enum Backend: Sendable, Equatable {
        /// In-process, bounded by `maxBytes`.
        case memory
        /// Shared through Redis at `url`, keys under `prefix`.
        case redis(url: String, prefix: String)
    }

    public var backend: Backend = .memory
    /// How long an entry is served. Default 5 minutes.
    public var ttl: Duration = .seconds(300)
    /// Memory backend budget. Default 64 MiB.
    public var maxBytes = 64 * 1024 * 1024

    public init(backend: Backend = .memory, ttl: Duration = .seconds(300), maxBytes: Int = 64 * 1024 * 1024) {
        self.backend = backend
        self.ttl = ttl
        self.maxBytes = maxBytes
    }

    /// Reads `{"backend", "ttl", "max_bytes", "redis": {"url", "prefix"}}`; unknown members are errors.
    public init(json config: JSONValue) throws {
        guard case .object(let members) = config else { throw PluginConfigurationError("cache: config: expected an object") }
        for key in members.keys where !["backend", "ttl", "max_bytes", "redis"].contains(key) {
            throw PluginConfigurationError("cache: config.\(key): unknown setting (expected backend, ttl, max_bytes, redis)")
        }
        if let ttl = members["ttl"] {
            guard let parsed = Self.duration(ttl), parsed > .zero else {
                throw PluginConfigurationError("cache: config.ttl: expected seconds or a duration like \"500ms\", \"30s\", \"5m\", \"1h\"")
            }
            self.ttl = parsed
        }
        if let maxBytes = members["max_bytes"] {
            guard let number = maxBytes.numberValue, number >= 1, number.rounded() == number, number < 1e15 else {
                throw PluginConfigurationError("cache: config.max_bytes: expected a positive whole number of bytes")
            }
            self.maxBytes = Int(number)
        }
        switch members["backend"]?.stringValue ?? (members["backend"] == nil ? "memory" : "") {
        case "memory":
            backend = .memory
        case "redis":
            guard let url = members["redis"]?["url"]?.stringValue, !url.isEmpty else {
                throw PluginConfigurationError("cache: config.redis.url: required for backend \"redis\" (e.g. \"redis://127.0.0.1:6379\")")
            }
            backend = .redis(url: url, prefix: members["redis"]?["prefix"]?.stringValue ?? "bifrost:")
        default:
            throw PluginConfigurationError("cache: config.backend: expected \"memory\" or \"redis\"")
        }
    }

    /// A number of seconds, or a string `<number><ms|s|m|h>`.
    static func duration(_ value: JSONValue) -> Duration? {
        if let seconds = value.numberValue { return .milliseconds(Int64((seconds * 1000).rounded())) }
        guard let text = value.stringValue else { return nil }
        let units: [(String, Double)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let number = Double(text.dropLast(suffix.count)), number >= 0 else { return nil }
            return .milliseconds(Int64((number * scale).rounded()))
        }
        return nil
    }
}
