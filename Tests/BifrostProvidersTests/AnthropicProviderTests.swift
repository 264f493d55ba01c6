import BifrostCore
import BifrostHTTP
import BifrostPluginKit
import BifrostTestSupport
import Testing

@testable import BifrostProviders

extension LiveProviderTests {
    /// The Anthropic adapter against HTTPS upstreams in-process: what goes on the wire, and what comes back.
    @Suite("Anthropic provider over HTTPS")
    struct AnthropicProviderTests {
        static let message = """
        {"id":"msg_01XF","type":"message","role":"assistant","model":"claude-sonnet-4-20250514",
         "content":[{"type":"text","text":"Hi there"},{"type":"tool_use","id":"toolu_9","name":"lookup","input":{"q":"swift"}}],
         "stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":12,"output_tokens":7,"cache_creation_input_tokens":3}}
        """

        private func provider(_ base: String, extraHeaders: [String: String] = [:], rawResponse: Bool = false,
                              client: TestUpstreamClient) -> AnthropicProvider {
            AnthropicProvider(baseURL: base, client: client.client,
                              config: providerConfig(key: "sk-ant-secret", baseURL: base, extraHeaders: extraHeaders,
                                                     rawResponse: rawResponse))
        }

        @Test func requestGoesToMessagesWithAnthropicHeadersAndBody() async throws {
            let upstream = try CaptureServer(body: Self.message)
            let client = try TestUpstreamClient()
            let params = ModelParameters(temperature: 0.5, maxTokens: 64, stop: ["\n\nHuman:"],
                                         tools: [Tool(function: FunctionDefinition(name: "lookup", parameters: .object(["type": .string("object")])))],
                                         toolChoice: .required, extra: ["anthropic_custom": .string("kept")])
            let request = chatRequest("anthropic", "claude-sonnet-4", [.text("system", "Be terse."), .text("user", "Hello")], params: params)
            let response = try await provider(upstream.baseURL, extraHeaders: ["anthropic-beta": "tools-2024"], client: client)
                .complete(request, key: ProviderKey(value: "sk-ant-secret"), context: BifrostContext())

            let sent = try #require(upstream.recorded.last)
            #expect(sent.method == "POST")
            #expect(sent.target == "/v1/messages")
            #expect(sent.headers["x-api-key"] == "sk-ant-secret")
            #expect(sent.headers["anthropic-version"] == "2023-06-01")
            #expect(sent.headers["anthropic-beta"] == "tools-2024")
            #expect(sent.headers["content-type"] == "application/json")
            #expect(sent.headers["authorization"] == nil)
            let body = try upstream.lastBody()
            #expect(body["model"] as? String == "claude-sonnet-4")
            #expect(body["system"] as? String == "Be terse.")
            #expect(body["max_tokens"] as? Int == 64)
            #expect(body["temperature"] as? Double == 0.5)
            #expect(body["stop_sequences"] as? [String] == ["\n\nHuman:"])
            #expect((body["tool_choice"] as? [String: Any])?["type"] as? String == "any")
            #expect((body["tools"] as? [[String: Any]])?.first?["name"] as? String == "lookup")
            #expect(body["anthropic_custom"] as? String == "kept")
            #expect(body["stream"] == nil)
            #expect((body["messages"] as? [[String: Any]])?.count == 1)

            #expect(response.object == "chat.completion")
            #expect(response.id == "msg_01XF")
            #expect(response.choices[0].message?.content == .text("Hi there"))
            #expect(response.choices[0].message?.toolCalls == [ToolCall(id: "toolu_9", name: "lookup", arguments: #"{"q":"swift"}"#)])
            #expect(response.choices[0].finishReason == "tool_calls")
            #expect(response.usage == Usage(promptTokens: 15, completionTokens: 7, cacheCreationTokens: 3))
            #expect(response.extraFields.provider == "anthropic")
            #expect(response.extraFields.model == "claude-sonnet-4")
            #expect(response.extraFields.latency != nil)
            #expect(response.extraFields.rawResponse == nil)
        }

        @Test func rawResponseIsReturnedWhenConfigured() async throws {
            let upstream = try CaptureServer(body: Self.message)
            let client = try TestUpstreamClient()
            let response = try await provider(upstream.baseURL + "/v1", rawResponse: true, client: client)
                .complete(chatRequest("anthropic", "claude", [.text("user", "Hi")]), key: ProviderKey(value: "k"), context: BifrostContext())
            #expect(upstream.recorded.last?.target == "/v1/messages")  // a base ending in /v1 gets no second one
            #expect(response.extraFields.rawResponse?["id"] == .string("msg_01XF"))
        }

        @Test func streamTranslatesEventsAndRecordsFirstChunkLatency() async throws {
            let upstream = try CaptureServer(body: anthropicEvents(AnthropicStreamTranslatorTests.toolStream), eventStream: true)
            let client = try TestUpstreamClient()
            let context = BifrostContext()
            let stream = try await provider(upstream.baseURL, client: client)
                .stream(chatRequest("anthropic", "claude", [.text("user", "Weather?")]), key: ProviderKey(value: "k"), context: context)
            let (chunks, error) = await drain(stream)
            #expect(error == nil)
            #expect(chunks.count == 10)
            #expect(chunks.last?.choices.first?.finishReason == "tool_calls")
            #expect(chunks.last?.usage?.completionTokens == 89)
            #expect(context.measurements.firstChunkLatency != nil)
            let body = try upstream.lastBody()
            #expect(body["stream"] as? Bool == true)
            #expect(upstream.recorded.last?.headers["accept"] == "text/event-stream")
        }

        @Test func midStreamErrorEventEndsTheStreamWithThatError() async throws {
            let events = Array(AnthropicStreamTranslatorTests.toolStream.prefix(5))
                + [#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#]
            let upstream = try CaptureServer(body: anthropicEvents(events), eventStream: true)
            let client = try TestUpstreamClient()
            let stream = try await provider(upstream.baseURL, client: client)
                .stream(chatRequest("anthropic", "claude", [.text("user", "Hi")]), key: ProviderKey(value: "k"), context: BifrostContext())
            let (chunks, error) = await drain(stream)
            #expect(chunks.count == 3)  // role and two text deltas
            let failure = try #require(error as? BifrostError)
            #expect(failure.statusCode == 503)
            #expect(failure.error.message == "Overloaded")
        }

        @Test func streamCutBeforeMessageStopIsAnError() async throws {
            let upstream = try CaptureServer(body: anthropicEvents(Array(AnthropicStreamTranslatorTests.toolStream.prefix(4))),
                                             eventStream: true)
            let client = try TestUpstreamClient()
            let stream = try await provider(upstream.baseURL, client: client)
                .stream(chatRequest("anthropic", "claude", [.text("user", "Hi")]), key: ProviderKey(value: "k"), context: BifrostContext())
            let (chunks, error) = await drain(stream)
            #expect(chunks.count == 2)
            #expect((error as? BifrostError)?.statusCode == 502)
        }

        @Test(arguments: [(401, "authentication_error", 401), (429, "rate_limit_error", 429), (529, "overloaded_error", 529)])
        func upstreamErrorsKeepStatusAndRetryAfter(_ status: Int, _ type: String, _ expected: Int) async throws {
            let upstream = try CaptureServer(status: status, body: #"{"type":"error","error":{"type":"\#(type)","message":"nope: \#(type)"}}"#,
                                             headers: [("retry-after", "2")])
            let client = try TestUpstreamClient()
            let anthropic = provider(upstream.baseURL, client: client)
            for streaming in [false, true] {
                let error = await expectBifrostError {
                    let request = chatRequest("anthropic", "claude", [.text("user", "Hi")])
                    if streaming {
                        _ = try await anthropic.stream(request, key: ProviderKey(value: "k"), context: BifrostContext())
                    } else {
                        _ = try await anthropic.complete(request, key: ProviderKey(value: "k"), context: BifrostContext())
                    }
                }
                #expect(error?.statusCode == expected)
                #expect(error?.error.type == type)
                #expect(error?.error.message == "nope: \(type)")
                #expect(error?.retryAfter == 2)
                #expect(error?.isBifrostError == false)
                #expect(error.map { "\($0)".contains("sk-ant-secret") } == false)
            }
        }

        @Test func embeddingsAreRefusedWithoutACall() async throws {
            let upstream = try CaptureServer(body: Self.message)
            let client = try TestUpstreamClient()
            let error = await expectBifrostError {
                _ = try await provider(upstream.baseURL, client: client).complete(
                    BifrostRequest(provider: "anthropic", model: "claude", input: .embedding(["a"])), key: ProviderKey(value: "k"),
                    context: BifrostContext())
            }
            #expect(error?.statusCode == 400)
            #expect(error?.fallbacksAllowed == true)
            #expect(upstream.recorded.all.isEmpty)
        }

        @Test func mockUpstreamMessagesJSONStreamAndToolUse() async throws {
            let mock = try MockUpstream()
            let client = try TestUpstreamClient()
            let anthropic = provider(mock.baseURL, client: client)
            let plain = try await anthropic.complete(chatRequest("anthropic", "mock-claude-sonnet", [.text("user", "Hi")]),
                                                     key: ProviderKey(value: "k"), context: BifrostContext())
            #expect(plain.choices.first?.message?.content == .text(mock.provider.options.replyText))
            #expect(plain.choices.first?.finishReason == "stop")

            let streamed = await drain(try await anthropic.stream(chatRequest("anthropic", "mock-claude", [.text("user", "Hi")]),
                                                                  key: ProviderKey(value: "k"), context: BifrostContext()))
            #expect(streamed.error == nil)
            let text = streamed.chunks.compactMap { $0.choices.first?.delta?.content?.plainText }.joined()
            #expect(text == mock.provider.options.replyText)
            #expect(streamed.chunks.last?.choices.first?.finishReason == "stop")

            let tools = ModelParameters(tools: [Tool(function: FunctionDefinition(name: "lookup"))])
            let toolCall = try await anthropic.complete(chatRequest("anthropic", "mock-tool-claude", [.text("user", "Hi")], params: tools),
                                                        key: ProviderKey(value: "k"), context: BifrostContext())
            #expect(toolCall.choices.first?.message?.toolCalls?.first?.function.name == "lookup")
            #expect(toolCall.choices.first?.finishReason == "tool_calls")
        }

        @Test func catalogBuildsAnthropicWithItsDefaultBaseURL() throws {
            let client = try TestUpstreamClient()
            let factory = ProviderCatalog.factory(client: client.client)
            let built = try #require(factory("anthropic", providerConfig()) as? AnthropicProvider)
            #expect(built.baseURL == "https://api.anthropic.com")
            #expect(built.messagesURL == "https://api.anthropic.com/v1/messages")
            let overridden = try #require(factory("anthropic", providerConfig(baseURL: "https://proxy.example/")) as? AnthropicProvider)
            #expect(overridden.baseURL == "https://proxy.example")
            #expect(factory("azure", providerConfig()) is AzureProvider)
        }
    }
}
