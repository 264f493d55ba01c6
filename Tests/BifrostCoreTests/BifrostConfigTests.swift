import BifrostCore
import BifrostPluginKit
import Foundation
import Testing

@Suite("config.json: providers and plugins")
struct BifrostConfigTests {
    private func parse(_ json: String, environment: [String: String] = [:]) throws(ConfigError) -> BifrostConfig {
        let tree = try! JSONDecoder().decode(JSONValue.self, from: Data(json.utf8))
        return try BifrostConfig.parse(tree, file: "config.json", environment: environment)
    }

    private func expectError(_ json: String, _ expected: String, environment: [String: String] = [:]) {
        do {
            _ = try parse(json, environment: environment)
            Issue.record("accepted: \(json)")
        } catch {
            #expect(error.description == "config.json: \(expected)")
        }
    }

    @Test func providersKeysNetworkAndConcurrencyAreRead() throws {
        let config = try parse(#"""
        {"providers": {"OpenAI": {
            "keys": [{"value": "env.OPENAI_API_KEY", "models": ["gpt-4o-mini"], "weight": 2}, {"value": "sk-literal"}],
            "network_config": {"base_url": "https://proxy.example/v1/", "extra_headers": {"X-Team": "env.TEAM"},
                               "default_request_timeout_in_seconds": 45, "max_retries": 2,
                               "retry_backoff_initial": "200ms", "retry_backoff_max": 3000},
            "concurrency_and_buffer_size": {"concurrency": 7, "buffer_size": 70}}}}
        """#, environment: ["OPENAI_API_KEY": "sk-from-env", "TEAM": "core"])
        let openai = try #require(config.providers["openai"])
        #expect(openai.keys.map(\.value) == ["sk-from-env", "sk-literal"])
        #expect(openai.keys[0].models == ["gpt-4o-mini"])
        #expect(openai.keys[0].weight == 2)
        #expect(openai.keys[1].weight == 1)
        #expect(openai.network.baseURL == "https://proxy.example/v1")
        #expect(openai.network.extraHeaders == ["X-Team": "core"])
        #expect(openai.network.defaultRequestTimeout == 45)
        #expect(openai.network.maxRetries == 2)
        #expect(openai.network.retryBackoffInitial == .milliseconds(200))
        #expect(openai.network.retryBackoffMax == .seconds(3))
        #expect(openai.concurrency == ConcurrencyConfig(concurrency: 7, bufferSize: 70))
    }

    @Test func keyWithAnUnsetVariableIsSkippedWithAWarning() throws {
        let config = try parse(#"{"providers": {"anthropic": {"keys": [{"value": "env.ANTHROPIC_API_KEY"}]}}}"#)
        let anthropic = try #require(config.providers["anthropic"])
        #expect(anthropic.keys.isEmpty)
        #expect(anthropic.missingKeyVariables.map(\.variable) == ["ANTHROPIC_API_KEY"])
        #expect(config.warnings.contains { $0.contains("providers.anthropic.keys[0].value") && $0.contains("ANTHROPIC_API_KEY") })
    }

    @Test func metaConfigWithAnUnsetVariableLeavesTheProviderUnusableWithAWarning() throws {
        let config = try parse(#"""
        {"providers": {"azure": {"keys": [{"value": "k"}], "meta_config": {"endpoint": "env.AZURE_ENDPOINT",
                                  "deployments": {"gpt-4o": "env.AZURE_DEPLOYMENT"}}}}}
        """#)
        let azure = try #require(config.providers["azure"])
        #expect(azure.keys.isEmpty)
        #expect(azure.missingKeyVariables.map(\.variable) == ["AZURE_DEPLOYMENT", "AZURE_ENDPOINT"])
        #expect(azure.missingKeyVariables.map(\.path) == ["providers.azure.meta_config.deployments.gpt-4o",
                                                          "providers.azure.meta_config.endpoint"])
        #expect(config.warnings.contains { $0.contains("providers.azure.meta_config.endpoint") && $0.contains("AZURE_ENDPOINT") })
    }

    @Test func metaConfigAndPluginConfigResolveEnvironmentVariables() throws {
        let config = try parse(#"""
        {"providers": {"azure": {"keys": [{"value": "k"}], "meta_config": {"endpoint": "env.AZURE_ENDPOINT",
                                  "deployments": {"gpt-4o": "prod-4o"}, "api_version": "2024-10-21"}}},
         "plugins": [{"name": "auth", "source": "./plugins/auth", "type": "local", "config": {"secret": "env.AUTH_SECRET", "n": 3}}]}
        """#, environment: ["AZURE_ENDPOINT": "https://example.openai.azure.com", "AUTH_SECRET": "s3"])
        #expect(config.providers["azure"]?.meta["endpoint"] == .string("https://example.openai.azure.com"))
        #expect(config.providers["azure"]?.meta["deployments"]?["gpt-4o"] == .string("prod-4o"))
        #expect(config.plugins.first?.config["secret"] == .string("s3"))
        #expect(config.plugins.first?.kind == .local)
    }

    @Test func errorsNameThePath() {
        expectError(#"{"providers": {"openai": {"keys": [{"value": "k", "weight": "heavy"}]}}}"#,
                    "providers.openai.keys[0].weight: expected a number")
        expectError(#"{"providers": {"closedai": {}}}"#, "providers.closedai: unknown provider (known: \(BifrostConfig.knownProviders.joined(separator: ", ")); other OpenAI-compatible endpoints need custom_provider_config {\"base_provider_type\": \"openai\"})")
        expectError(#"{"providers": {"openai": {"network_config": {"max_retries": 99}}}}"#,
                    "providers.openai.network_config.max_retries: 99 is out of range 0...10")
        expectError(#"{"providers": {"openai": {"network_config": {"retry_backoff_initial": "soon"}}}}"#,
                    "providers.openai.network_config.retry_backoff_initial: expected milliseconds or a duration like \"500ms\", \"2s\", \"1m\" (got \"soon\")")
        expectError(#"{"providers": {"openai": {"concurrency_and_buffer_size": {"concurrency": 0}}}}"#,
                    "providers.openai.concurrency_and_buffer_size.concurrency: 0 is out of range 1...100000")
        expectError(#"{"providers": {"openai": {"kyes": []}}}"#,
                    "providers.openai.kyes: unknown key (known: keys, network_config, meta_config, concurrency_and_buffer_size, proxy_config, send_back_raw_response, custom_provider_config)")
        expectError(#"{"providers": {"openai": {"proxy_config": {"type": "socks5", "url": "socks5://x"}}}}"#,
                    "providers.openai.proxy_config.type: socks5 proxies are not supported; use http or environment")
        expectError(#"{"providers": {"sgl": {}}}"#, "providers.sgl: sgl needs network_config.base_url")
        expectError(#"{"providers": {"inhouse": {"custom_provider_config": {"base_provider_type": "openai"}}}}"#,
                    "providers.inhouse: inhouse needs network_config.base_url")
        expectError(#"{"plugins": [{"name": "a", "source": "x", "type": "local"}, {"name": "a", "source": "y", "type": "local"}]}"#,
                    "plugins[1]: duplicate plugin name \"a\"")
        expectError(#"{"plugins": [{"name": "a", "source": "x", "type": "zip"}]}"#, "plugins[0].type: expected local or remote")
        expectError(#"{"plugins": {"name": "a"}}"#, "plugins: expected an array")
    }

    @Test func keyValuesNeverAppearInDescriptions() throws {
        let config = try parse(#"{"providers": {"openai": {"keys": [{"value": "sk-very-secret"}]}}}"#)
        let key = try #require(config.providers["openai"]?.keys.first)
        #expect(!"\(key)".contains("sk-very-secret"))
        #expect(!String(reflecting: key).contains("sk-very-secret"))
        var dumped = ""
        dump(key, to: &dumped)
        #expect(!dumped.contains("sk-very-secret"))
    }
}

@Suite("config.json: keyless and custom providers")
struct CustomProviderConfigTests {
    @Test func keylessAndCustomProvidersAreAccepted() throws {
        let json = #"{"providers": {"ollama": {}, "inhouse": {"keys": [{"value": "k"}], "custom_provider_config": {"base_provider_type": "openai"}, "network_config": {"base_url": "http://10.0.0.5:8000"}}}}"#
        let tree = try JSONDecoder().decode(JSONValue.self, from: Data(json.utf8))
        let config = try BifrostConfig.parse(tree, file: "config.json", environment: [:])
        #expect(config.providers["ollama"]?.keys.map(\.value) == [""])
        #expect(config.providers["inhouse"]?.baseProviderType == "openai")
    }
}
