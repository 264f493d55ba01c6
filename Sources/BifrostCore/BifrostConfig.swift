import BifrostPluginKit

/// A plugin entry of `config.json` (`plugins: [{name, source, type, version, config}]`), `env.` resolved.
public struct PluginConfig: Sendable, Equatable {
    public enum Kind: String, Sendable { case local, remote }
    public var name: String
    public var source: String
    public var kind: Kind
    /// For remote plugins: the version (tag) or revision to fetch.
    public var version: String?
    public var config: JSONValue
}

/// The engine's part of `config.json`: `providers` and `plugins` (Bifrost's format).
///
/// Every string may be `env.NAME`. A key whose variable is unset is skipped with a warning, so the
/// gateway starts without provider keys; any other unset variable, unknown provider, wrong type
/// or out-of-range number is an error naming its path.
public struct BifrostConfig: Sendable {
    public var providers: [String: ProviderConfig] = [:]
    public var plugins: [PluginConfig] = []
    /// Things worth a log line at start-up (never secrets).
    public var warnings: [String] = []

    public init() {}

    /// Providers this gateway knows how to configure.
    public static let knownProviders = ["openai", "anthropic", "azure", "bedrock", "vertex", "gemini", "cohere",
                                        "mistral", "groq", "ollama", "openrouter", "cerebras", "sgl", "parasail"]

    /// Providers that need no API key (local servers; Vertex, which signs in with a service account);
    /// they get one empty key when none is configured.
    public static let keylessProviders: Set<String> = ["ollama", "sgl", "vertex"]

    /// Reads `providers` and `plugins` from a parsed config file.
    public static func parse(_ root: JSONValue, file: String, environment: [String: String]) throws(ConfigError) -> BifrostConfig {
        let node = ConfigNode(value: root, path: "", file: file)
        _ = try node.object()
        let resolver = EnvironmentResolver(environment: environment)
        var config = BifrostConfig()
        if let providers = node.child("providers") {
            for (name, _) in try providers.object().sorted(by: { $0.key < $1.key }) {
                let lowered = name.lowercased()
                let providerNode = providers.child(name)!
                let custom = providerNode.child("custom_provider_config")
                guard knownProviders.contains(lowered) || custom != nil else {
                    throw providerNode.error("unknown provider (known: \(knownProviders.joined(separator: ", ")); "
                        + "other OpenAI-compatible endpoints need custom_provider_config {\"base_provider_type\": \"openai\"})")
                }
                guard config.providers[lowered] == nil else { throw providerNode.error("provider configured twice") }
                config.providers[lowered] = try parseProvider(lowered, providerNode, resolver: resolver, warnings: &config.warnings)
            }
        }
        if let plugins = node.child("plugins") {
            var names: Set<String> = []
            for pluginNode in try plugins.array() {
                let plugin = try parsePlugin(pluginNode, resolver: resolver)
                guard names.insert(plugin.name).inserted else {
                    throw pluginNode.error("duplicate plugin name \"\(plugin.name)\"")
                }
                config.plugins.append(plugin)
            }
        }
        return config
    }

    private static func parseProvider(_ name: String, _ node: ConfigNode, resolver: EnvironmentResolver,
                                      warnings: inout [String]) throws(ConfigError) -> ProviderConfig {
        try node.rejectUnknownKeys(["keys", "network_config", "meta_config", "concurrency_and_buffer_size", "proxy_config",
                                    "send_back_raw_response", "custom_provider_config"])
        var keys: [ProviderKey] = []
        var missing: [(path: String, variable: String)] = []
        for keyNode in try node.child("keys")?.array() ?? [] {
            try keyNode.rejectUnknownKeys(["value", "models", "weight"])
            guard let valueNode = keyNode.child("value") else { throw keyNode.error("missing \"value\"") }
            let raw = try valueNode.string()
            let models = try keyNode.child("models")?.array().map { node throws(ConfigError) in try node.string() } ?? []
            let weight = try keyNode.child("weight")?.number() ?? 1
            guard weight >= 0, weight.isFinite else { throw keyNode.child("weight")!.error("expected a weight of 0 or more") }
            if let variable = EnvironmentResolver.variable(in: raw), (resolver.environment[variable] ?? "").isEmpty {
                missing.append((valueNode.path, variable))
                warnings.append("\(valueNode.path): environment variable \(variable) is not set; this key is skipped")
                continue
            }
            let value = try resolver.resolve(raw, at: valueNode)
            guard !value.isEmpty else { throw valueNode.error("the key is empty") }
            keys.append(ProviderKey(value: value, models: models, weight: weight, index: keys.count + missing.count))
        }
        var config = ProviderConfig(keys: keys)
        config.missingKeyVariables = missing
        if let custom = node.child("custom_provider_config") {
            try custom.rejectUnknownKeys(["base_provider_type"])
            guard let base = custom.child("base_provider_type") else { throw custom.error("missing \"base_provider_type\"") }
            guard try base.string() == "openai" else { throw base.error("only \"openai\" is supported as a base provider type") }
            config.baseProviderType = "openai"
        }
        let keyless = keylessProviders.contains(name)
        if keyless && config.keys.isEmpty { config.keys = [ProviderKey(value: "")] }
        if let network = node.child("network_config") { config.network = try parseNetwork(network, resolver: resolver) }
        if let concurrency = node.child("concurrency_and_buffer_size") {
            try concurrency.rejectUnknownKeys(["concurrency", "buffer_size"])
            config.concurrency = ConcurrencyConfig(
                concurrency: try concurrency.child("concurrency")?.integer(in: 1...100_000) ?? 1000,
                bufferSize: try concurrency.child("buffer_size")?.integer(in: 0...10_000_000) ?? 5000)
        } else {
            config.concurrency = ConcurrencyConfig(concurrency: 1000, bufferSize: 5000)
        }
        if let meta = node.child("meta_config") {
            guard case .object = meta.value else { throw meta.error("expected an object") }
            let unset = resolver.unsetVariables(in: meta.value, at: meta.path)
            if unset.isEmpty {
                guard case .object(let members) = try resolver.resolveAll(meta.value, at: meta) else { throw meta.error("expected an object") }
                config.meta = members
            } else {
                // Like a key's variable: the gateway starts, and requests to this provider say what to set.
                for (path, variable) in unset {
                    warnings.append("\(path): environment variable \(variable) is not set; provider \(name) is unusable until it is")
                }
                config.missingKeyVariables += unset
                config.keys = []
            }
        }
        if let proxy = node.child("proxy_config") { config.proxy = try parseProxy(proxy, resolver: resolver) }
        if let raw = node.child("send_back_raw_response") { config.sendBackRawResponse = try raw.bool() }
        if (name == "sgl" || config.baseProviderType != nil) && config.network.baseURL == nil {
            throw node.error("\(name) needs network_config.base_url")
        }
        if !keyless && keys.isEmpty && missing.isEmpty {
            warnings.append("\(node.path): no keys configured; requests to \(name) will fail")
        }
        return config
    }

    private static func parseNetwork(_ node: ConfigNode, resolver: EnvironmentResolver) throws(ConfigError) -> NetworkConfig {
        try node.rejectUnknownKeys(["base_url", "extra_headers", "default_request_timeout_in_seconds", "max_retries",
                                    "retry_backoff_initial", "retry_backoff_max"])
        var network = NetworkConfig()
        if let base = node.child("base_url") {
            let url = try resolver.resolve(try base.string(), at: base)
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else { throw base.error("expected an http:// or https:// URL") }
            network.baseURL = url.hasSuffix("/") ? String(url.dropLast()) : url
        }
        if let headers = node.child("extra_headers") {
            for (name, _) in try headers.object() {
                let header = headers.child(name)!
                network.extraHeaders[name] = try resolver.resolve(try header.string(), at: header)
            }
        }
        if let timeout = node.child("default_request_timeout_in_seconds") {
            let seconds = try timeout.number()
            guard seconds > 0, seconds <= 86_400 else { throw timeout.error("expected 1 to 86400 seconds") }
            network.defaultRequestTimeout = seconds
        }
        if let retries = node.child("max_retries") { network.maxRetries = try retries.integer(in: 0...10) }
        if let initial = node.child("retry_backoff_initial") { network.retryBackoffInitial = try ConfigDuration.parse(initial) }
        if let maximum = node.child("retry_backoff_max") { network.retryBackoffMax = try ConfigDuration.parse(maximum) }
        guard network.retryBackoffInitial <= network.retryBackoffMax else {
            throw node.error("retry_backoff_initial is larger than retry_backoff_max")
        }
        return network
    }

    private static func parseProxy(_ node: ConfigNode, resolver: EnvironmentResolver) throws(ConfigError) -> ProxyConfig {
        try node.rejectUnknownKeys(["type", "url", "username", "password"])
        guard let typeNode = node.child("type") else { throw node.error("missing \"type\" (none, http or environment)") }
        guard let kind = ProxyConfig.Kind(rawValue: try typeNode.string()) else {
            throw typeNode.error("expected none, http or environment")
        }
        if kind == .socks5 { throw typeNode.error("socks5 proxies are not supported; use http or environment") }
        func optional(_ key: String) throws(ConfigError) -> String? {
            guard let child = node.child(key) else { return nil }
            return try resolver.resolve(try child.string(), at: child)
        }
        let proxy = ProxyConfig(kind: kind, url: try optional("url"), username: try optional("username"), password: try optional("password"))
        if kind == .http && proxy.url == nil { throw node.error("an http proxy needs \"url\"") }
        return proxy
    }

    private static func parsePlugin(_ node: ConfigNode, resolver: EnvironmentResolver) throws(ConfigError) -> PluginConfig {
        try node.rejectUnknownKeys(["name", "source", "type", "version", "config"])
        guard let nameNode = node.child("name") else { throw node.error("missing \"name\"") }
        guard let sourceNode = node.child("source") else { throw node.error("missing \"source\"") }
        guard let typeNode = node.child("type") else { throw node.error("missing \"type\" (local or remote)") }
        let name = try nameNode.string()
        guard !name.isEmpty else { throw nameNode.error("the name is empty") }
        guard let kind = PluginConfig.Kind(rawValue: try typeNode.string()) else { throw typeNode.error("expected local or remote") }
        let version = try node.child("version")?.string()
        var config = JSONValue.object([:])
        if let configNode = node.child("config") { config = try resolver.resolveAll(configNode.value, at: configNode) }
        return PluginConfig(name: name, source: try sourceNode.string(), kind: kind, version: version, config: config)
    }
}
