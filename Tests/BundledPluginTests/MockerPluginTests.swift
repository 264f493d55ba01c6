import BifrostCore
import BifrostPluginKit
import MockerPlugin
import Testing

@Suite("mocker plugin")
struct MockerPluginTests {
    let plugin = try! MockerPlugin(config: try! JSONParser.parse(Array("""
        {"rules": [
          {"model": "openai/gpt-4o*", "contains": "weather", "response": {"content": "Sunny, 21 degrees", "usage": {"prompt_tokens": 5, "completion_tokens": 4}}},
          {"model": "openai/gpt-4o*", "response": {"content": "Hello from the mock", "finish_reason": "stop"}},
          {"model": "*/text-embedding-*", "response": {"embedding": [0.5, 0.25]}},
          {"model": "anthropic/*", "error": {"status": 529, "message": "overloaded", "type": "overloaded_error", "retry_after": 2}},
          {"model": "groq/*", "latency_ms": 30, "error": {"status": 401, "message": "bad key", "allow_fallbacks": false}}
        ]}
        """.utf8)))

    @Test func cannedResponsesByModelPatternWithoutCallingTheProvider() async throws {
        let provider = CountingProvider()
        let engine = pluginEngine([provider], plugins: [plugin])
        let hello = try await engine.complete(chat("openai", "gpt-4o-mini"), context: context())
        #expect(text(hello) == "Hello from the mock")
        #expect(hello.choices.first?.finishReason == "stop")
        #expect(hello.extraFields.provider == "openai")
        let weather = try await engine.complete(chat("openai", "gpt-4o", text: "weather in Paris?"), context: context())
        #expect(text(weather) == "Sunny, 21 degrees")
        #expect(weather.usage?.totalTokens == 9)
        let embedding = try await engine.complete(
            BifrostRequest(provider: "openai", model: "text-embedding-3-small", input: .embedding(["a", "b"])), context: context())
        #expect(embedding.data?.count == 2)
        #expect(embedding.data?.first?.embedding == [0.5, 0.25])
        // No rule: the provider answers.
        let real = try await engine.complete(chat("openai", "o1"), context: context())
        #expect(text(real) == "answer 1")
        #expect(provider.calls.value == 1)
        await engine.shutdown()
    }

    @Test func cannedErrorsCarryStatusRetryAfterAndFallbackControl() async throws {
        let (_, overloaded) = try await plugin.preHook(context(), chat("anthropic", "claude-3-5-sonnet"))
        let error = try #require(overloaded?.error)
        #expect(error.statusCode == 529)
        #expect(error.error.type == "overloaded_error")
        #expect(error.retryAfter == 2)
        #expect(error.allowFallbacks == nil)
        let started = ContinuousClock.now
        let (_, unauthorized) = try await plugin.preHook(context(), chat("groq", "llama"))
        #expect(ContinuousClock.now - started >= .milliseconds(30))
        #expect(unauthorized?.error?.allowFallbacks == false)

        // A mocked 529 lets the engine fall back to another (mocked) model.
        let engine = pluginEngine([CountingProvider("anthropic"), CountingProvider("openai")], plugins: [plugin])
        let response = try await engine.complete(chat("anthropic", "claude", fallbacks: [Fallback(provider: "openai", model: "gpt-4o")]),
                                                 context: context())
        #expect(text(response) == "Hello from the mock")
        await engine.shutdown()
    }

    @Test func streamingRequestsGetAStreamOfWords() async throws {
        let engine = pluginEngine([CountingProvider()], plugins: [plugin])
        var pieces: [String] = []
        var finish: String?
        for try await chunk in try await engine.stream(chat("openai", "gpt-4o", stream: true), context: context()) {
            #expect(chunk.object == "chat.completion.chunk")
            if let piece = chunk.choices.first?.delta?.content?.plainText { pieces.append(piece) }
            finish = chunk.choices.first?.finishReason ?? finish
        }
        #expect(pieces.joined() == "Hello from the mock")
        #expect(pieces.count >= 4)
        #expect(finish == "stop")
        await engine.shutdown()
    }

    @Test func unmatchedCanBeAnError() async throws {
        let strict = try MockerPlugin(config: try JSONParser.parse(Array(#"{"rules": [], "unmatched": "error"}"#.utf8)))
        let (_, shortCircuit) = try await strict.preHook(context(), chat())
        #expect(shortCircuit?.error?.statusCode == 404)
    }

    @Test func badRulesAreRefusedWithTheirPath() {
        for (json, path) in [(#"{}"#, "config.rules"), (#"{"rules": [{"response": {}}]}"#, "rules[0].model"),
                             (#"{"rules": [{"model": "*"}]}"#, "rules[0]"),
                             (#"{"rules": [{"model": "*", "error": {"status": 200}}]}"#, "rules[0].error.status"),
                             (#"{"rules": [], "unmatched": "maybe"}"#, "config.unmatched")] {
            #expect { try MockerPlugin(config: try JSONParser.parse(Array(json.utf8))) } throws: { "\($0)".contains(path) }
        }
    }
}

extension LivePluginGatewayTests {
    @Suite("mocker plugin over HTTP")
    struct MockerGatewayTests {
        @Test func gatewayServesMockedAnswersAndErrors() throws {
            let mocker = try MockerPlugin(config: try JSONParser.parse(Array("""
                {"rules": [{"model": "openai/mock-*", "response": {"content": "mocked over http"}},
                           {"model": "openai/broken", "error": {"status": 503, "message": "mock outage", "retry_after": 3}}]}
                """.utf8)))
            let gateway = try PluginGateway(plugins: [mocker])
            defer { gateway.stop() }
            let ok = try gateway.post("/v1/chat/completions", #"{"model": "openai/mock-1", "messages": [{"role": "user", "content": "hi"}]}"#)
            #expect(ok.status == 200)
            #expect(ok.bodyText.contains("mocked over http"))
            let failed = try gateway.post("/v1/chat/completions", #"{"model": "openai/broken", "messages": [{"role": "user", "content": "hi"}]}"#)
            #expect(failed.status == 503)
            #expect(failed.header("retry-after") == "3")
            #expect(failed.bodyText.contains("mock outage"))
            let streamed = try gateway.post("/v1/chat/completions", #"{"model": "openai/mock-2", "stream": true, "messages": [{"role": "user", "content": "hi"}]}"#)
            #expect(streamed.status == 200)
            #expect(sseData(streamed.bodyText).last == "[DONE]")
            #expect(gateway.upstream.calls.value == 0)
        }
    }
}
