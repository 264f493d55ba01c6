import BifrostCore
import BifrostPluginKit
import Synchronization
import Glibc
import Testing

/// Captures what a PostHook saw.
final class PostHookProbe: Sendable {
    let seen = Mutex<(BifrostResponse?, BifrostError?)?>(nil)
    func plugin(_ log: EventLog) -> RecordingPlugin {
        RecordingPlugin("probe", log: log, post: { [self] response, error in
            seen.withLock { $0 = (response, error) }
            return (response, error)
        })
    }
}

@Suite("Engine: streaming")
struct StreamingEngineTests {
    private func streamRequest(fallbacks: [Fallback] = []) -> BifrostRequest {
        var request = chatRequest(fallbacks: fallbacks)
        request.stream = true
        return request
    }

    @Test func chunksFlowInOrderAndPostHooksSeeTheAssembledResponse() async throws {
        let log = EventLog()
        let probe = PostHookProbe()
        let engine = makeEngine(providers: [FakeProvider("openai", log: log, chunks: ["Hel", "lo", "!"])], plugins: [probe.plugin(log)])
        var texts: [String] = []
        for try await chunk in try await engine.stream(streamRequest()) {
            texts.append(chunk.choices.first?.delta?.content?.plainText ?? "")
        }
        #expect(texts == ["Hel", "lo", "!"])
        let (response, error) = try #require(probe.seen.withLock { $0 })
        #expect(error == nil)
        #expect(response?.choices.first?.message?.content == .text("Hello!"))
        #expect(response?.choices.first?.finishReason == "stop")
        #expect(response?.usage?.completionTokens == 3)
        #expect(log.all.last == "post:probe")
    }

    @Test func failureToOpenFallsBackToTheNextProvider() async throws {
        let log = EventLog()
        let engine = makeEngine(providers: [
            FakeProvider("openai", log: log, chunks: [], openFailure: upstreamError(503)),
            FakeProvider("anthropic", log: log, chunks: ["from anthropic"]),
        ])
        var collected = ""
        for try await chunk in try await engine.stream(streamRequest(fallbacks: [Fallback(provider: "anthropic", model: "claude")])) {
            collected += chunk.choices.first?.delta?.content?.plainText ?? ""
        }
        #expect(collected == "from anthropic")
    }

    @Test func midStreamFailureIsThrownAndSeenByPostHooks() async throws {
        let log = EventLog()
        let probe = PostHookProbe()
        let engine = makeEngine(providers: [FakeProvider("openai", log: log, chunks: ["partial"], midStreamFailure: upstreamError(502))],
                                plugins: [probe.plugin(log)])
        var received = 0
        do {
            for try await _ in try await engine.stream(streamRequest()) { received += 1 }
            Issue.record("the stream must not end cleanly")
        } catch let error as BifrostError {
            #expect(error.statusCode == 502)
        }
        #expect(received == 1)
        #expect(probe.seen.withLock { $0?.1?.statusCode } == 502)
    }

    @Test func streamHoldsItsQueueTurnUntilItEnds() async throws {
        let log = EventLog()
        let engine = makeEngine(providers: [FakeProvider("openai", log: log, chunks: ["a", "b", "c"], delay: .milliseconds(40))],
                                concurrency: ConcurrencyConfig(concurrency: 1, bufferSize: 10))
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<2 {
                group.addTask {
                    for try await _ in try await engine.stream(streamRequest()) {}
                }
            }
            try await group.waitForAll()
        }
        // Two streams of ~120 ms each, one at a time.
        #expect(ContinuousClock.now - start >= .milliseconds(220))
    }

    @Test func shortCircuitResponseBecomesASingleChunk() async throws {
        let log = EventLog()
        let cached = makeResponse(provider: "openai", model: "gpt-4o-mini", text: "cached")
        let engine = makeEngine(providers: [FakeProvider("openai", log: log, chunks: ["x"])],
                                plugins: [RecordingPlugin("cache", log: log, pre: { ($0, .respond(cached)) })])
        var chunks: [BifrostResponse] = []
        for try await chunk in try await engine.stream(streamRequest()) { chunks.append(chunk) }
        #expect(chunks == [cached])
        #expect(!log.all.contains { $0.hasPrefix("stream:") })
    }
}

@Suite("Engine: streams and shutdown")
struct StreamShutdownTests {
    @Test func streamsCountAsInFlightUntilTheyEnd() async throws {
        let log = EventLog()
        let engine = makeEngine(providers: [FakeProvider("openai", log: log, chunks: ["a", "b"], delay: .milliseconds(50))])
        var request = chatRequest()
        request.stream = true
        let stream = try await engine.stream(request)
        #expect(engine.inFlight == 1)
        for try await _ in stream {}
        #expect(eventually { engine.inFlight == 0 })
        // A short-circuited stream is over at once.
        let cached = makeResponse(provider: "openai", model: "gpt-4o-mini")
        let shortCircuited = makeEngine(providers: [FakeProvider("openai", log: log, chunks: ["x"])],
                                        plugins: [RecordingPlugin("cache", log: log, pre: { ($0, .respond(cached)) })])
        _ = try await shortCircuited.stream(request)
        #expect(shortCircuited.inFlight == 0)
    }
}

/// Polls `condition` for up to a second.
func eventually(_ condition: () -> Bool) -> Bool {
    for _ in 0..<100 {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}
