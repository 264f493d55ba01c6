import BifrostPluginKit

/// One API key of a provider. The value is a secret: it never appears in descriptions, logs or errors.
public struct ProviderKey: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The secret itself (after `env.` substitution).
    public let value: String
    /// Models this key serves; empty means every model.
    public let models: [String]
    /// Relative weight for random selection.
    public let weight: Double
    /// Position in the config, for logs (`keys[2]`).
    public let index: Int

    public init(value: String, models: [String] = [], weight: Double = 1, index: Int = 0) {
        self.value = value
        self.models = models
        self.weight = weight
        self.index = index
    }

    /// True when this key may be used for `model`.
    public func serves(_ model: String) -> Bool { models.isEmpty || models.contains(model) }

    public var description: String { "keys[\(index)]" }
    public var debugDescription: String { "ProviderKey(keys[\(index)], models: \(models), weight: \(weight))" }
    /// Reflection (as `dump` and debuggers use it) shows everything but the secret.
    public var customMirror: Mirror { Mirror(self, children: ["index": index, "models": models, "weight": weight]) }
}

/// How to reach a provider.
public struct NetworkConfig: Sendable, Hashable {
    public var baseURL: String?
    public var extraHeaders: [String: String] = [:]
    /// Seconds a provider call may take, retries excluded.
    public var defaultRequestTimeout: Double = 30
    public var maxRetries: Int = 0
    /// First retry delay.
    public var retryBackoffInitial: Duration = .milliseconds(500)
    /// Largest retry delay.
    public var retryBackoffMax: Duration = .seconds(5)

    public init() {}
}

/// `concurrency_and_buffer_size`: requests in flight to the provider, and requests waiting for a turn.
public struct ConcurrencyConfig: Sendable, Hashable {
    public var concurrency: Int = 10
    public var bufferSize: Int = 100

    public init(concurrency: Int = 10, bufferSize: Int = 100) {
        self.concurrency = concurrency
        self.bufferSize = bufferSize
    }
}

/// `proxy_config`.
public struct ProxyConfig: Sendable, Hashable {
    public enum Kind: String, Sendable { case none, http, socks5, environment }
    public var kind: Kind
    public var url: String?
    public var username: String?
    public var password: String?

    public init(kind: Kind, url: String? = nil, username: String? = nil, password: String? = nil) {
        self.kind = kind
        self.url = url
        self.username = username
        self.password = password
    }
}

/// Everything configured for one provider.
public struct ProviderConfig: Sendable {
    public var keys: [ProviderKey]
    public var network = NetworkConfig()
    public var concurrency = ConcurrencyConfig()
    /// Provider-specific settings (Azure endpoint/deployments, Bedrock region, Vertex project...), `env.` resolved.
    public var meta: [String: JSONValue] = [:]
    public var proxy: ProxyConfig?
    /// Keys skipped because their `env.` variable is unset: (config path, variable).
    public var missingKeyVariables: [(path: String, variable: String)] = []
    /// Return the provider's raw response in `extra_fields.raw_response`.
    public var sendBackRawResponse = false
    /// For custom providers (`custom_provider_config`): the API they speak, e.g. `openai`.
    public var baseProviderType: String?

    public init(keys: [ProviderKey], network: NetworkConfig = NetworkConfig(), concurrency: ConcurrencyConfig = ConcurrencyConfig()) {
        self.keys = keys
        self.network = network
        self.concurrency = concurrency
    }
}

/// Where the engine learns which providers exist and how they are configured (Bifrost's `Account`).
public protocol Account: Sendable {
    /// Names of the configured providers.
    var configuredProviders: [String] { get }
    /// The configuration of `provider`, or nil when it is not configured.
    func config(for provider: String) -> ProviderConfig?
}

/// An account backed by a fixed map of provider configurations.
public struct StaticAccount: Account {
    public let providers: [String: ProviderConfig]

    public init(_ providers: [String: ProviderConfig]) { self.providers = providers }

    public var configuredProviders: [String] { providers.keys.sorted() }
    public func config(for provider: String) -> ProviderConfig? { providers[provider] }
}
