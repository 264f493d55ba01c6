import BifrostCore
import BifrostPluginKit
import Testing

@Suite("Plugin pipeline")
struct PipelineTests {
    @Test func preHooksRunInOrderAndPostHooksInReverse() async throws {
        let log = EventLog()
        let plugins = ["a", "b", "c"].map { RecordingPlugin($0, log: log) }
        let engine = makeEngine(providers: [FakeProvider("openai", log: log)], plugins: plugins)
        _ = try await engine.complete(chatRequest())
        #expect(log.all == ["pre:a:openai", "pre:b:openai", "pre:c:openai", "call:openai:gpt-4o-mini", "post:c", "post:b", "post:a"])
    }

    @Test func shortCircuitSkipsTheProviderAndLaterPluginsButKeepsSymmetry() async throws {
        let log = EventLog()
        let cached = makeResponse(provider: "openai", model: "gpt-4o-mini", text: "cached")
        let plugins = [
            RecordingPlugin("a", log: log),
            RecordingPlugin("b", log: log, pre: { ($0, .respond(cached)) }),
            RecordingPlugin("c", log: log),
        ]
        let engine = makeEngine(providers: [FakeProvider("openai", log: log)], plugins: plugins)
        let response = try await engine.complete(chatRequest())
        #expect(response.choices.first?.message?.content == .text("cached"))
        #expect(log.all == ["pre:a:openai", "pre:b:openai", "post:b", "post:a"])
    }

    @Test func preHookCanRewriteTheRequest() async throws {
        let log = EventLog()
        let rewrite = RecordingPlugin("rewrite", log: log, pre: { request in
            var changed = request
            changed.model = "gpt-4o"
            return (changed, nil)
        })
        let engine = makeEngine(providers: [FakeProvider("openai", log: log)], plugins: [rewrite])
        let response = try await engine.complete(chatRequest())
        #expect(response.model == "gpt-4o")
        #expect(log.all.contains("call:openai:gpt-4o"))
    }

    @Test func postHookRecoversFromAnError() async throws {
        let log = EventLog()
        let recovery = RecordingPlugin("recover", log: log, post: { response, error in
            error == nil ? (response, nil) : (makeResponse(provider: "openai", model: "m", text: "recovered"), nil)
        })
        let provider = FakeProvider("openai", log: log, script: [.failure(upstreamError(400))])
        let engine = makeEngine(providers: [provider], plugins: [recovery])
        let response = try await engine.complete(chatRequest())
        #expect(response.choices.first?.message?.content == .text("recovered"))
    }

    @Test func postHookTurnsAResponseIntoAnError() async throws {
        let log = EventLog()
        let guardrail = RecordingPlugin("guard", log: log, post: { _, _ in
            (nil, BifrostError(message: "blocked by policy", statusCode: 403, allowFallbacks: false))
        })
        let engine = makeEngine(providers: [FakeProvider("openai", log: log)], plugins: [guardrail])
        await #expect(throws: BifrostError.self) { try await engine.complete(chatRequest()) }
    }

    @Test func throwingHooksAreSkippedAndTheRequestStillSucceeds() async throws {
        let log = EventLog()
        let plugins = [
            RecordingPlugin("bad-pre", log: log, pre: { _ in throw PluginFailure() }),
            RecordingPlugin("bad-post", log: log, post: { _, _ in throw PluginFailure() }),
        ]
        let engine = makeEngine(providers: [FakeProvider("openai", log: log)], plugins: plugins)
        let response = try await engine.complete(chatRequest())
        #expect(response.choices.count == 1)
        // The PreHook that threw still ran, so its PostHook runs too.
        #expect(log.all == ["pre:bad-pre:openai", "pre:bad-post:openai", "call:openai:gpt-4o-mini", "post:bad-post", "post:bad-pre"])
    }

    @Test func synchronousHooksAreCalledInsteadOfTheAsyncOnesWithTheSameRules() async throws {
        let log = EventLog()
        let cached = makeResponse(provider: "openai", model: "gpt-4o-mini", text: "cached")
        let plugins: [any Plugin] = [
            RecordingPlugin("a", log: log),
            SynchronousRecordingPlugin("bad", log: log, pre: { _ in throw PluginFailure() }, post: { _, _ in throw PluginFailure() }),
            SynchronousRecordingPlugin("cache", log: log, pre: { ($0, .respond(cached)) }),
            RecordingPlugin("never", log: log),
        ]
        let engine = makeEngine(providers: [FakeProvider("openai", log: log)], plugins: plugins)
        let response = try await engine.complete(chatRequest())
        #expect(response.choices.first?.message?.content == .text("cached"))
        // The throwing synchronous hooks are skipped like async ones; the short-circuit stops the walk.
        #expect(log.all == ["pre:a:openai", "pre-now:bad", "pre-now:cache", "post-now:cache", "post-now:bad", "post:a"])
    }

    @Test func onlySynchronousPluginsRunWithoutTheAsyncHooksAndTheSameRules() async throws {
        let log = EventLog()
        let plugins: [any Plugin] = [
            SynchronousRecordingPlugin("outer", log: log),
            SynchronousRecordingPlugin("bad", log: log, pre: { _ in throw PluginFailure() }, post: { _, _ in throw PluginFailure() }),
            // Turns the provider's answer into an error; the PostHooks before it in reverse see the error.
            SynchronousRecordingPlugin("reject", log: log, post: { _, _ in (nil, BifrostError(message: "rejected", statusCode: 403)) }),
            SynchronousRecordingPlugin("odd", log: log, post: { _, _ in (nil, nil) }),  // ignored, with a warning
        ]
        let engine = makeEngine(providers: [FakeProvider("openai", log: log)], plugins: plugins)
        await #expect(throws: BifrostError.self) { try await engine.complete(chatRequest()) }
        #expect(log.all == ["pre-now:outer", "pre-now:bad", "pre-now:reject", "pre-now:odd", "call:openai:gpt-4o-mini",
                            "post-now:odd", "post-now:reject", "post-now:bad", "post-now:outer"])
        do {
            _ = try await engine.complete(chatRequest())
        } catch {
            #expect(error.error.message == "rejected" && error.statusCode == 403)
        }
    }

    @Test func inconsistentShortCircuitsFollowTheDocumentedRule() async throws {
        let log = EventLog()
        let both = RecordingPlugin("both", log: log, pre: {
            ($0, PluginShortCircuit(response: makeResponse(provider: "x", model: "y"), error: BifrostError(message: "no", statusCode: 418)))
        })
        let engine = makeEngine(providers: [FakeProvider("openai", log: log)], plugins: [both])
        do {
            _ = try await engine.complete(chatRequest())
            Issue.record("a short-circuit with an error must fail")
        } catch {
            #expect(error.statusCode == 418)  // the error wins
        }
        let emptyLog = EventLog()
        let empty = RecordingPlugin("empty", log: emptyLog, pre: { ($0, PluginShortCircuit()) })
        let engine2 = makeEngine(providers: [FakeProvider("openai", log: emptyLog)], plugins: [empty])
        _ = try await engine2.complete(chatRequest())
        #expect(emptyLog.all.contains("call:openai:gpt-4o-mini"))  // ignored: the provider was called
    }

    @Test(arguments: [nil, true, false] as [Bool?])
    func shortCircuitErrorControlsFallbacks(_ allow: Bool?) async throws {
        let log = EventLog()
        let limiter = RecordingPlugin("limit", log: log, pre: { request in
            request.provider == "openai"
                ? (request, .fail(BifrostError(message: "rate limited", statusCode: 429, allowFallbacks: allow)))
                : (request, nil)
        })
        let engine = makeEngine(providers: [FakeProvider("openai", log: log), FakeProvider("anthropic", log: log)], plugins: [limiter])
        let request = chatRequest(fallbacks: [Fallback(provider: "anthropic", model: "claude")])
        if allow == false {
            await #expect(throws: BifrostError.self) { try await engine.complete(request) }
            #expect(!log.all.contains("call:anthropic:claude"))
        } else {
            let response = try await engine.complete(request)
            #expect(response.model == "claude")
            // The fallback is a full pipeline run: the plugin sees the fallback's provider.
            #expect(log.all == ["pre:limit:openai", "post:limit", "pre:limit:anthropic", "call:anthropic:claude", "post:limit"])
        }
    }

    @Test func cleanupRunsExactlyOnce() async throws {
        let log = EventLog()
        let plugin = RecordingPlugin("p", log: log)
        let engine = makeEngine(providers: [FakeProvider("openai", log: log)], plugins: [plugin])
        await engine.shutdown(gracePeriod: .milliseconds(10))
        await engine.shutdown(gracePeriod: .milliseconds(10))
        #expect(plugin.cleanupCount == 1)
        await #expect(throws: BifrostError.self) { try await engine.complete(chatRequest()) }
    }
}
