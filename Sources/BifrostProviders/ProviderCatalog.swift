import BifrostCore
import BifrostHTTP

/// Which adapter serves each provider name, and the default base URLs.
public enum ProviderCatalog {
    /// Default base URLs of the OpenAI-compatible providers (overridable with `network_config.base_url`).
    public static let openAICompatibleDefaults: [String: String] = [
        "openai": "https://api.openai.com",
        "ollama": "http://localhost:11434",
        "groq": "https://api.groq.com/openai",
        "mistral": "https://api.mistral.ai",
        "openrouter": "https://openrouter.ai/api",
        "cerebras": "https://api.cerebras.ai",
        "parasail": "https://api.parasail.io",
    ]

    /// Anthropic's default base URL (overridable with `network_config.base_url`).
    public static let anthropicDefault = "https://api.anthropic.com"

    /// A factory for the engine: builds the adapter for a configured provider, or nil when this
    /// gateway has none for it yet.
    public static func factory(client: HTTPClient) -> ProviderFactory {
        { name, config in
            switch name {
            case "anthropic":
                return AnthropicProvider(name: name, baseURL: config.network.baseURL ?? anthropicDefault, client: client, config: config)
            case "azure":
                return AzureProvider(name: name, client: client, config: config)
            case "bedrock":
                return BedrockProvider(name: name, client: client, config: config)
            case "vertex":
                return VertexProvider(name: name, client: client, config: config)
            case "cohere":
                return CohereProvider(name: name, baseURL: config.network.baseURL ?? CohereProvider.defaultBaseURL, client: client,
                                      config: config)
            case "gemini":
                return GeminiProvider(name: name, baseURL: config.network.baseURL ?? GeminiProvider.defaultBaseURL, client: client,
                                      config: config)
            default:
                break
            }
            let speaksOpenAI = openAICompatibleDefaults[name] != nil || name == "sgl" || config.baseProviderType == "openai"
            guard speaksOpenAI, let base = config.network.baseURL ?? openAICompatibleDefaults[name] else { return nil }
            return OpenAICompatibleProvider(name: name, baseURL: base, client: client, config: config)
        }
    }
}
