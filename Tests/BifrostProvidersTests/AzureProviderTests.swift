import BifrostCore
import BifrostHTTP
import BifrostPluginKit
import BifrostTestSupport
import Testing

@testable import BifrostProviders

/// `meta_config` parsing and URL building, without a network.
@Suite("Azure settings")
struct AzureSettingsTests {
    @Test func metaConfigGivesEndpointDeploymentsAndVersion() throws {
        let settings = AzureSettings(config: providerConfig(meta: [
            "endpoint": .string("https://res.openai.azure.com/"),
            "deployments": .object(["gpt-4o": .string("prod-4o"), "bad": .number(1)]),
            "api_version": .string("2025-01-01-preview"),
        ]))
        #expect(settings.endpoint == "https://res.openai.azure.com")
        #expect(settings.deployments == ["gpt-4o": "prod-4o"])
        #expect(settings.apiVersion == "2025-01-01-preview")
        #expect(try settings.url(deployment: "prod-4o", path: "chat/completions", provider: "azure")
            == "https://res.openai.azure.com/openai/deployments/prod-4o/chat/completions?api-version=2025-01-01-preview")
        #expect(try settings.url(deployment: "a b/c", path: "embeddings", provider: "azure")
            == "https://res.openai.azure.com/openai/deployments/a%20b%2Fc/embeddings?api-version=2025-01-01-preview")
    }

    @Test func defaultsAndBaseURLFallback() {
        let settings = AzureSettings(config: providerConfig(baseURL: "https://from-network.example"))
        #expect(settings.endpoint == "https://from-network.example")
        #expect(settings.apiVersion == "2024-10-21")
        #expect(settings.deployments.isEmpty)
    }

    @Test func missingDeploymentNamesTheModelAndTheConfigPath() {
        let settings = AzureSettings(endpoint: "https://e", deployments: ["gpt-4o": "prod"])
        do {
            _ = try settings.deployment(for: "gpt-4.1", provider: "azure")
            Issue.record("a model without a deployment should fail")
        } catch {
            #expect(error.statusCode == 400)
            #expect(error.error.message.contains("\"gpt-4.1\""))
            #expect(error.error.message.contains("providers.azure.meta_config.deployments"))
            #expect(error.error.message.contains("gpt-4o"))
        }
    }

    @Test func missingEndpointIsAConfigurationError() {
        do {
            _ = try AzureSettings(endpoint: nil).url(deployment: "d", path: "chat/completions", provider: "azure")
            Issue.record("no endpoint should fail")
        } catch {
            #expect(error.error.message.contains("providers.azure.meta_config.endpoint"))
            #expect(error.error.type == "configuration_error")
        }
    }
}

extension LiveProviderTests {
    /// The Azure adapter against HTTPS upstreams in-process.
    @Suite("Azure provider over HTTPS")
    struct AzureProviderTests {
        static let completion = #"{"id":"chatcmpl-az","object":"chat.completion","created":1700000000,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":{"role":"assistant","content":"from azure"},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}}"#

        private func azure(_ endpoint: String, apiVersion: String? = nil, client: TestUpstreamClient) -> AzureProvider {
            var meta: [String: JSONValue] = ["endpoint": .string(endpoint),
                                             "deployments": .object(["gpt-4o": .string("prod-4o"), "text-embedding-3-small": .string("embed"),
                                                                     "gpt-35-turbo-instruct": .string("instruct")])]
            if let apiVersion { meta["api_version"] = .string(apiVersion) }
            return AzureProvider(client: client.client, config: providerConfig(key: "azure-secret", meta: meta, extraHeaders: ["x-team": "core"]))
        }

        @Test func chatGoesToTheDeploymentWithApiKeyAndVersion() async throws {
            let upstream = try CaptureServer(body: Self.completion)
            let client = try TestUpstreamClient()
            let request = chatRequest("azure", "gpt-4o", [.text("user", "Hi")],
                                      params: ModelParameters(temperature: 0.1, maxTokens: 10, extra: ["logit_bias": .object(["1": .number(-1)])]))
            let response = try await azure(upstream.baseURL, client: client)
                .complete(request, key: ProviderKey(value: "azure-secret"), context: BifrostContext())

            let sent = try #require(upstream.recorded.last)
            #expect(sent.method == "POST")
            #expect(sent.target == "/openai/deployments/prod-4o/chat/completions?api-version=2024-10-21")
            #expect(sent.headers["api-key"] == "azure-secret")
            #expect(sent.headers["authorization"] == nil)
            #expect(sent.headers["x-team"] == "core")
            #expect(sent.headers["content-type"] == "application/json")
            let body = try upstream.lastBody()
            #expect((body["messages"] as? [[String: Any]])?.first?["content"] as? String == "Hi")
            #expect(body["temperature"] as? Double == 0.1)
            #expect(body["max_tokens"] as? Int == 10)
            #expect((body["logit_bias"] as? [String: Any])?["1"] as? Int == -1)

            #expect(response.choices.first?.message?.content == .text("from azure"))
            #expect(response.usage?.totalTokens == 11)
            #expect(response.extraFields.provider == "azure")
            #expect(response.extraFields.model == "gpt-4o")
            #expect(response.extraFields.latency != nil)
        }

        @Test func aLimitNamedMaxCompletionTokensKeepsItsName() async throws {
            let upstream = try CaptureServer(body: Self.completion)
            let client = try TestUpstreamClient()
            var params = ModelParameters(maxTokens: 300)
            params.maxTokensField = .maxCompletionTokens
            _ = try await azure(upstream.baseURL, client: client)
                .complete(chatRequest("azure", "gpt-4o", [.text("user", "Hi")], params: params),
                          key: ProviderKey(value: "azure-secret"), context: BifrostContext())
            let body = try upstream.lastBody()
            #expect(body["max_completion_tokens"] as? Int == 300)
            #expect(body["max_tokens"] == nil)
        }

        @Test func completionsAndEmbeddingsPathsAndConfiguredVersion() async throws {
            let mock = try MockUpstream()
            let client = try TestUpstreamClient()
            let provider = azure(mock.baseURL, apiVersion: "2025-01-01-preview", client: client)
            let text = try await provider.complete(BifrostRequest(provider: "azure", model: "gpt-35-turbo-instruct", input: .text("Say hi")),
                                                   key: ProviderKey(value: "k"), context: BifrostContext())
            #expect(text.object == "text_completion")
            let embeddings = try await provider.complete(BifrostRequest(provider: "azure", model: "text-embedding-3-small",
                                                                        input: .embedding(["a", "b"])),
                                                         key: ProviderKey(value: "k"), context: BifrostContext())
            #expect(embeddings.data?.count == 2)

            let upstream = try CaptureServer(body: #"{"object":"list","data":[{"index":0,"embedding":[0.5]}],"model":"m"}"#)
            _ = try await azure(upstream.baseURL, apiVersion: "2025-01-01-preview", client: client)
                .complete(BifrostRequest(provider: "azure", model: "text-embedding-3-small", input: .embedding(["a"])),
                          key: ProviderKey(value: "k"), context: BifrostContext())
            #expect(upstream.recorded.last?.target == "/openai/deployments/embed/embeddings?api-version=2025-01-01-preview")
        }

        @Test func modelWithoutDeploymentFailsBeforeAnyCall() async throws {
            let upstream = try CaptureServer(body: Self.completion)
            let client = try TestUpstreamClient()
            let provider = azure(upstream.baseURL, client: client)
            for streaming in [false, true] {
                let error = await expectBifrostError {
                    let request = chatRequest("azure", "gpt-5", [.text("user", "Hi")])
                    if streaming {
                        _ = try await provider.stream(request, key: ProviderKey(value: "k"), context: BifrostContext())
                    } else {
                        _ = try await provider.complete(request, key: ProviderKey(value: "k"), context: BifrostContext())
                    }
                }
                #expect(error?.statusCode == 400)
                #expect(error?.error.message.contains("gpt-5") == true)
                #expect(error?.error.message.contains("providers.azure.meta_config.deployments") == true)
            }
            #expect(upstream.recorded.all.isEmpty)
        }

        @Test func streamingSkipsPromptFilterChunksAndEndsAtDone() async throws {
            let events = [
                #"{"choices":[],"prompt_filter_results":[{"prompt_index":0,"content_filter_results":{}}],"id":"","object":"","created":0,"model":""}"#,
                #"{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"},"finish_reason":null}]}"#,
                #"{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}]}"#,
                #"{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}"#,
                "[DONE]",
            ].map { "data: \($0)\n\n" }.joined()
            let upstream = try CaptureServer(body: events, eventStream: true)
            let client = try TestUpstreamClient()
            let context = BifrostContext()
            let stream = try await azure(upstream.baseURL, client: client)
                .stream(chatRequest("azure", "gpt-4o", [.text("user", "Hi")]), key: ProviderKey(value: "k"), context: context)
            let (chunks, error) = await drain(stream)
            #expect(error == nil)
            #expect(chunks.count == 3)
            #expect(chunks.compactMap { $0.choices.first?.delta?.content?.plainText }.joined() == "Hello")
            #expect(chunks.last?.usage?.totalTokens == 5)
            #expect(context.measurements.firstChunkLatency != nil)
            let body = try upstream.lastBody()
            #expect(body["stream"] as? Bool == true)
            #expect((body["stream_options"] as? [String: Any])?["include_usage"] as? Bool == true)
            #expect(upstream.recorded.last?.target == "/openai/deployments/prod-4o/chat/completions?api-version=2024-10-21")
        }

        @Test func streamingThroughTheMock() async throws {
            let mock = try MockUpstream()
            let client = try TestUpstreamClient()
            let stream = try await azure(mock.baseURL, client: client)
                .stream(chatRequest("azure", "gpt-4o", [.text("user", "Hi")]), key: ProviderKey(value: "k"), context: BifrostContext())
            let (chunks, error) = await drain(stream)
            #expect(error == nil)
            #expect(chunks.compactMap { $0.choices.first?.delta?.content?.plainText }.joined() == mock.provider.options.replyText)
        }

        @Test(arguments: [(401, 401), (429, 429), (500, 500)])
        func upstreamErrorsKeepStatusMessageAndRetryAfter(_ status: Int, _ expected: Int) async throws {
            let upstream = try CaptureServer(status: status, body: #"{"error":{"code":"\#(status)","message":"azure says \#(status)"}}"#,
                                             headers: [("retry-after", "3")])
            let client = try TestUpstreamClient()
            let error = await expectBifrostError {
                _ = try await azure(upstream.baseURL, client: client)
                    .complete(chatRequest("azure", "gpt-4o", [.text("user", "Hi")]), key: ProviderKey(value: "azure-secret"),
                              context: BifrostContext())
            }
            #expect(error?.statusCode == expected)
            #expect(error?.error.message == "azure says \(status)")
            #expect(error?.error.code == "\(status)")
            #expect(error?.retryAfter == 3)
            #expect(error.map { "\($0)".contains("azure-secret") } == false)
        }
    }
}
