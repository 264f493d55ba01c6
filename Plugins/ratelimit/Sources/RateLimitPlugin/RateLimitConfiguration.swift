import BifrostPluginKit

/// What a request is counted under: its virtual key (set by the `auth` plugin), provider and model.
public enum RateLimitDimension: String, Sendable, Hashable, CaseIterable {
    case virtualKey = "virtual_key"
    case provider
    case model
}

/// One limit: token buckets for requests and/or tokens per minute, kept separately for every
/// distinct combination of the `scope` dimensions (an empty scope is one bucket for everybody),
/// applied to the requests `match` selects (all by default).
public struct RateLimitRule: Sendable, Hashable {
    /// Names the rule in bucket keys and error messages; defaults to `rule<index>` (from 0).
    public var name: String
    public var scope: [RateLimitDimension]
    public var requestsPerMinute: Double?
    public var tokensPerMinute: Double?
    /// Which requests the rule applies to.
    public var match: RateLimitMatch

    public init(name: String, scope: [RateLimitDimension] = [], requestsPerMinute: Double? = nil,
                tokensPerMinute: Double? = nil, match: RateLimitMatch = RateLimitMatch()) {
        self.name = name
        self.scope = scope
        self.requestsPerMinute = requestsPerMinute
        self.tokensPerMinute = tokensPerMinute
        self.match = match
    }
}

/// Glob patterns (`*` matches any run of characters) selecting the requests a rule applies to.
/// A nil list matches everything; model patterns containing `/` are matched against `provider/model`.
public struct RateLimitMatch: Sendable, Hashable {
    public var virtualKeys: [String]?
    public var providers: [String]?
    public var models: [String]?

    public init(virtualKeys: [String]? = nil, providers: [String]? = nil, models: [String]? = nil) {
        self.virtualKeys = virtualKeys
        self.providers = providers
        self.models = models
    }

    /// True when the request (`virtualKey` nil when unauthenticated) is selected.
    public func matches(virtualKey: String?, provider: String, model: String) -> Bool {
        if let virtualKeys, !virtualKeys.contains(where: { Glob.matches($0, virtualKey ?? "") }) { return false }
        if let providers, !providers.contains(where: { Glob.matches($0, provider) }) { return false }
        if let models, !models.contains(where: { Glob.matches($0, $0.contains("/") ? "\(provider)/\(model)" : model) }) {
            return false
        }
        return true
    }
}

/// Where the buckets live.
public enum RateLimitBackendKind: Sendable, Hashable {
    /// In this process: each gateway replica enforces the limits on its own.
    case memory
    /// In Redis, updated atomically by a Lua script: every replica shares one limit.
    case redis(url: String, prefix: String, poolSize: Int, timeout: Double)
}

/// The plugin's configuration (the `config` object in `config.json`; see README.md).
public struct RateLimitConfiguration: Sendable, Hashable {
    public var rules: [RateLimitRule]
    public var backend: RateLimitBackendKind
    /// With the Redis backend unreachable: true lets requests through (fail-open, the default),
    /// false answers 503 (fail-closed).
    public var allowOnBackendError: Bool

    public init(rules: [RateLimitRule], backend: RateLimitBackendKind = .memory, allowOnBackendError: Bool = true) {
        self.rules = rules
        self.backend = backend
        self.allowOnBackendError = allowOnBackendError
    }

    /// Reads the JSON configuration; errors name the offending path, e.g. `rules[0].scope[1]`.
    public init(json: JSONValue) throws(PluginConfigurationError) {
        let root = try ConfigReader(json, path: "config")
        try root.allowOnly(["rules", "backend", "redis", "on_redis_error"])
        let ruleValues = try root.array("rules") ?? []
        guard !ruleValues.isEmpty else { throw PluginConfigurationError("config.rules: at least one rule is required") }
        var rules: [RateLimitRule] = []
        for (index, value) in ruleValues.enumerated() {
            rules.append(try Self.rule(value, index: index))
        }
        let names = rules.map(\.name)
        if let duplicate = names.first(where: { name in names.filter { $0 == name }.count > 1 }) {
            throw PluginConfigurationError("config.rules: duplicate rule name \"\(duplicate)\"")
        }
        self.rules = rules
        switch try root.string("backend") ?? "memory" {
        case "memory":
            backend = .memory
        case "redis":
            guard let redisValue = root.member("redis") else {
                throw PluginConfigurationError("config.redis: required when backend is \"redis\"")
            }
            let redis = try ConfigReader(redisValue, path: "config.redis")
            try redis.allowOnly(["url", "prefix", "pool_size", "timeout_ms"])
            guard let url = try redis.string("url") else { throw PluginConfigurationError("config.redis.url: required") }
            let poolSize = try redis.number("pool_size") ?? 4
            let timeout = try redis.number("timeout_ms") ?? 500
            guard poolSize >= 1, poolSize == poolSize.rounded() else {
                throw PluginConfigurationError("config.redis.pool_size: expected a whole number of at least 1")
            }
            guard timeout > 0 else { throw PluginConfigurationError("config.redis.timeout_ms: expected a positive number") }
            backend = .redis(url: url, prefix: try redis.string("prefix") ?? "bifrost:", poolSize: Int(poolSize),
                             timeout: timeout / 1000)
        case let other:
            throw PluginConfigurationError("config.backend: expected \"memory\" or \"redis\", got \"\(other)\"")
        }
        switch try root.string("on_redis_error") ?? "allow" {
        case "allow": allowOnBackendError = true
        case "deny": allowOnBackendError = false
        case let other:
            throw PluginConfigurationError("config.on_redis_error: expected \"allow\" or \"deny\", got \"\(other)\"")
        }
    }

    private static func rule(_ value: JSONValue, index: Int) throws(PluginConfigurationError) -> RateLimitRule {
        let path = "config.rules[\(index)]"
        let reader = try ConfigReader(value, path: path)
        try reader.allowOnly(["name", "scope", "requests_per_minute", "tokens_per_minute", "match"])
        var scope: [RateLimitDimension] = []
        for (position, item) in (try reader.array("scope") ?? []).enumerated() {
            guard let text = item.stringValue, let dimension = RateLimitDimension(rawValue: text) else {
                throw PluginConfigurationError("\(path).scope[\(position)]: expected \"virtual_key\", \"provider\" or \"model\"")
            }
            guard !scope.contains(dimension) else { throw PluginConfigurationError("\(path).scope: \"\(text)\" repeated") }
            scope.append(dimension)
        }
        let requests = try reader.number("requests_per_minute")
        let tokens = try reader.number("tokens_per_minute")
        for (key, limit) in [("requests_per_minute", requests), ("tokens_per_minute", tokens)] {
            if let limit, !(limit > 0) { throw PluginConfigurationError("\(path).\(key): expected a positive number") }
        }
        guard requests != nil || tokens != nil else {
            throw PluginConfigurationError("\(path): set requests_per_minute, tokens_per_minute or both")
        }
        var match = RateLimitMatch()
        if let matchValue = reader.member("match") {
            let matchReader = try ConfigReader(matchValue, path: "\(path).match")
            try matchReader.allowOnly(["virtual_keys", "providers", "models"])
            match = RateLimitMatch(virtualKeys: try matchReader.strings("virtual_keys"),
                                   providers: try matchReader.strings("providers"), models: try matchReader.strings("models"))
        }
        return RateLimitRule(name: try reader.string("name") ?? "rule\(index)", scope: scope, requestsPerMinute: requests,
                             tokensPerMinute: tokens, match: match)
    }
}

/// Typed access to one JSON object of the configuration, with errors that name the path.
struct ConfigReader {
    let members: [String: JSONValue]
    let path: String

    init(_ value: JSONValue, path: String) throws(PluginConfigurationError) {
        guard case .object(let members) = value else { throw PluginConfigurationError("\(path): expected an object") }
        self.members = members
        self.path = path
    }

    func allowOnly(_ keys: Set<String>) throws(PluginConfigurationError) {
        if let unknown = members.keys.sorted().first(where: { !keys.contains($0) }) {
            throw PluginConfigurationError("\(path).\(unknown): unknown key (expected one of \(keys.sorted().joined(separator: ", ")))")
        }
    }

    func member(_ key: String) -> JSONValue? {
        guard let value = members[key], value != .null else { return nil }
        return value
    }

    func string(_ key: String) throws(PluginConfigurationError) -> String? {
        guard let value = member(key) else { return nil }
        guard let text = value.stringValue else { throw PluginConfigurationError("\(path).\(key): expected a string") }
        return text
    }

    func number(_ key: String) throws(PluginConfigurationError) -> Double? {
        guard let value = member(key) else { return nil }
        guard let number = value.numberValue else { throw PluginConfigurationError("\(path).\(key): expected a number") }
        return number
    }

    func array(_ key: String) throws(PluginConfigurationError) -> [JSONValue]? {
        guard let value = member(key) else { return nil }
        guard case .array(let items) = value else { throw PluginConfigurationError("\(path).\(key): expected an array") }
        return items
    }

    func strings(_ key: String) throws(PluginConfigurationError) -> [String]? {
        guard let items = try array(key) else { return nil }
        var result: [String] = []
        for (index, item) in items.enumerated() {
            guard let text = item.stringValue else { throw PluginConfigurationError("\(path).\(key)[\(index)]: expected a string") }
            result.append(text)
        }
        return result
    }
}

/// `*` wildcards, nothing else.
enum Glob {
    static func matches(_ pattern: String, _ text: String) -> Bool {
        guard pattern.contains("*") else { return pattern == text }
        let parts = pattern.split(separator: "*", omittingEmptySubsequences: false)
        var rest = Substring(text)
        for (index, part) in parts.enumerated() {
            if index == 0 {
                guard rest.hasPrefix(part) else { return false }
                rest = rest.dropFirst(part.count)
            } else if index == parts.count - 1 {
                return part.isEmpty || (rest.count >= part.count && rest.hasSuffix(part))
            } else if !part.isEmpty {
                guard let found = rest.firstRange(of: part) else { return false }
                rest = rest[found.upperBound...]
            }
        }
        return true
    }
}
