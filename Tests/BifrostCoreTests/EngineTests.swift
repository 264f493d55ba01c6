import BifrostCore
import BifrostPluginKit
import Synchronization
import Testing

@Suite("Engine: fallbacks, retries, keys, queues")
struct EngineTests {
    // MARK: Fallbacks

    @Test func fallbacksAreTriedInOrderAndTheFirstSuccessWins() async throws {
        let log = EventLog()
        let engine = makeEngine(providers: [
            FakeProvider("openai", log: log, script: [.failure(upstreamError(500))]),
            FakeProvider("anthropic", log: log, script: [.failure(upstreamError(503))]),
            FakeProvider("groq", log: log),
        ])
        let request = chatRequest(fallbacks: [Fallback(provider: "anthropic", model: "claude"), Fallback(provider: "groq", model: "llama")])
        let response = try await engine.complete(request)
        #expect(response.extraFields.provider == "groq")
        #expect(log.all == ["call:openai:gpt-4o-mini", "call:anthropic:claude", "call:groq:llama"])
    }

    @Test func whenEverythingFailsThePrimaryErrorIsReturned() async throws {
        let log = EventLog()
        let engine = makeEngine(providers: [
            FakeProvider("openai", log: log, script: [.failure(upstreamError(500))]),
            FakeProvider("anthropic", log: log, script: [.failure(upstreamError(502))]),
        ])
        do {
            _ = try await engine.complete(chatRequest(fallbacks: [Fallback(provider: "anthropic", model: "claude")]))
            Issue.record("expected a failure")
        } catch {
            #expect(error.statusCode == 500)
            #expect(error.error.message == "upstream 500")
        }
    }

    @Test func fallbackToAnUnconfiguredProviderIsSkipped() async throws {
        let log = EventLog()
        let engine = makeEngine(providers: [FakeProvider("openai", log: log, script: [.failure(upstreamError(500))]),
                                            FakeProvider("groq", log: log)])
        let request = chatRequest(fallbacks: [Fallback(provider: "nowhere", model: "x"), Fallback(provider: "groq", model: "llama")])
        #expect(try await engine.complete(request).extraFields.provider == "groq")
    }

    // MARK: Retries

    @Test(arguments: [(429, 3), (500, 3), (502, 3), (503, 3), (504, 3), (529, 3), (400, 1), (401, 1), (404, 1), (422, 1)])
    func retriesHappenOnlyForRetryableStatuses(_ status: Int, _ expectedCalls: Int) async throws {
        let log = EventLog()
        var network = NetworkConfig()
        network.maxRetries = 2
        network.retryBackoffInitial = .milliseconds(1)
        network.retryBackoffMax = .milliseconds(2)
        let provider = FakeProvider("openai", log: log, script: Array(repeating: .failure(upstreamError(status)), count: 5))
        let engine = makeEngine(providers: [provider], network: network)
        await #expect(throws: BifrostError.self) { try await engine.complete(chatRequest()) }
        #expect(log.all.count == expectedCalls)
    }

    @Test func retrySucceedsAfterATransientFailure() async throws {
        let log = EventLog()
        var network = NetworkConfig()
        network.maxRetries = 3
        network.retryBackoffInitial = .milliseconds(1)
        let provider = FakeProvider("openai", log: log, script: [.failure(upstreamError(503)), .failure(upstreamError(429))])
        let engine = makeEngine(providers: [provider], network: network)
        _ = try await engine.complete(chatRequest())
        #expect(log.all.count == 3)
    }

    @Test func backoffGrowsExponentiallyWithJitterWithinTheCap() {
        var network = NetworkConfig()
        network.maxRetries = 10
        network.retryBackoffInitial = .milliseconds(100)
        network.retryBackoffMax = .seconds(1)
        let policy = RetryPolicy(network: network)
        var generator = SystemRandomNumberGenerator()
        for attempt in 0..<8 {
            let base = min(100.0 * Double(1 << attempt), 1000)
            for _ in 0..<50 {
                let delay = policy.delay(attempt: attempt, retryAfter: nil, using: &generator)
                let ms = Double(delay.components.seconds) * 1000 + Double(delay.components.attoseconds) / 1e15
                #expect(ms >= base * 0.8 - 1 && ms <= min(base * 1.2, 1000) + 1, "attempt \(attempt): \(ms) ms")
            }
        }
    }

    @Test func retryAfterIsHonouredUpToTheCap() {
        var network = NetworkConfig()
        network.maxRetries = 1
        network.retryBackoffMax = .seconds(5)
        let policy = RetryPolicy(network: network)
        var generator = SystemRandomNumberGenerator()
        #expect(policy.delay(attempt: 0, retryAfter: 2, using: &generator) == .seconds(2))
        #expect(policy.delay(attempt: 0, retryAfter: 60, using: &generator) == .seconds(5))
    }

    // MARK: Keys

    @Test func weightedSelectionFollowsTheWeights() {
        let keys = [ProviderKey(value: "a", weight: 3, index: 0), ProviderKey(value: "b", weight: 1, index: 1)]
        var generator = SystemRandomNumberGenerator()
        var counts: [String: Int] = [:]
        for _ in 0..<20_000 { counts[KeySelector.select(from: keys, model: "m", using: &generator)!.value, default: 0] += 1 }
        let share = Double(counts["a"] ?? 0) / 20_000
        #expect(abs(share - 0.75) < 0.03, "key a chosen \(share) of the time, expected 0.75")
    }

    @Test func zeroWeightsFallBackToUniform() {
        let keys = [ProviderKey(value: "a", weight: 0, index: 0), ProviderKey(value: "b", weight: 0, index: 1)]
        var generator = SystemRandomNumberGenerator()
        var counts: [String: Int] = [:]
        for _ in 0..<10_000 { counts[KeySelector.select(from: keys, model: "m", using: &generator)!.value, default: 0] += 1 }
        #expect(abs(Double(counts["a"] ?? 0) / 10_000 - 0.5) < 0.04)
    }

    @Test func keysAreFilteredByModel() {
        let keys = [ProviderKey(value: "mini", models: ["gpt-4o-mini"], index: 0),
                    ProviderKey(value: "big", models: ["gpt-4o"], index: 1),
                    ProviderKey(value: "any", models: [], index: 2)]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let chosen = KeySelector.select(from: keys, model: "gpt-4o", using: &generator)!.value
            #expect(chosen == "big" || chosen == "any")
        }
        #expect(KeySelector.select(from: [keys[0]], model: "gpt-4o", using: &generator) == nil)
    }

    @Test func retryAfterRateLimitPrefersAnotherKey() async throws {
        let log = EventLog()
        var network = NetworkConfig()
        network.maxRetries = 1
        network.retryBackoffInitial = .milliseconds(1)
        let provider = FakeProvider("openai", log: log, script: [.failure(upstreamError(429))])
        let engine = makeEngine(providers: [provider], keys: [ProviderKey(value: "k1", index: 0), ProviderKey(value: "k2", index: 1)],
                                network: network)
        _ = try await engine.complete(chatRequest())
        #expect(provider.usedKeys.count == 2)
        #expect(provider.usedKeys[0] != provider.usedKeys[1])
    }

    @Test func noKeyForTheModelIsAClearError() async throws {
        let log = EventLog()
        let engine = makeEngine(providers: [FakeProvider("openai", log: log)], keys: [ProviderKey(value: "k", models: ["other"])])
        do {
            _ = try await engine.complete(chatRequest())
            Issue.record("expected a failure")
        } catch {
            #expect(error.error.message.contains("no key of provider openai serves model gpt-4o-mini"))
            #expect(!error.error.message.contains("\"k\""))
        }
    }

    // MARK: Queues

    @Test func fullQueueDropsWhenDropExcessIsOn() async throws {
        let log = EventLog()
        let provider = FakeProvider("openai", log: log, delay: .milliseconds(300))
        let engine = makeEngine(providers: [provider], concurrency: ConcurrencyConfig(concurrency: 1, bufferSize: 1), dropExcess: true)
        async let first: BifrostResponse = engine.complete(chatRequest())
        try await Task.sleep(for: .milliseconds(50))
        async let second: BifrostResponse = engine.complete(chatRequest())  // waits in the buffer
        try await Task.sleep(for: .milliseconds(50))
        do {
            _ = try await engine.complete(chatRequest())
            Issue.record("the third request should have been dropped")
        } catch {
            #expect(error.statusCode == 503)
            #expect(error.error.message.contains("request dropped: queue is full"))
        }
        _ = try await (first, second)
    }

    @Test func queueWaitIsRecordedInTheContext() async throws {
        let log = EventLog()
        let provider = FakeProvider("openai", log: log, delay: .milliseconds(100))
        let engine = makeEngine(providers: [provider], concurrency: ConcurrencyConfig(concurrency: 1, bufferSize: 10))
        async let first: BifrostResponse = engine.complete(chatRequest())
        try await Task.sleep(for: .milliseconds(20))
        let context = BifrostContext()
        _ = try await engine.complete(chatRequest(), context: context)
        let waited = try #require(context.measurements.queueWait)
        #expect(waited >= .milliseconds(50))
        _ = try await first
    }

    @Test func everyAttemptStartsWithFreshMeasurements() async throws {
        let log = EventLog()
        var network = NetworkConfig()
        network.maxRetries = 2
        network.retryBackoffInitial = .milliseconds(1)
        network.retryBackoffMax = .milliseconds(2)
        let seen = Mutex<[BifrostMeasurements]>([])
        let probe = HookProbe { context in seen.withLock { $0.append(context.measurements) } }
        let engine = makeEngine(providers: [
            FakeProvider("openai", log: log, script: [.failure(upstreamError(503)), .failure(upstreamError(400))]),
            FakeProvider("groq", log: log),
        ], plugins: [probe], network: network)
        let context = BifrostContext()
        _ = try await engine.complete(chatRequest(fallbacks: [Fallback(provider: "groq", model: "llama")]), context: context)
        let measured = seen.withLock { $0 }
        #expect(measured.count == 2)
        #expect(measured.first?.retries == 1)  // the primary retried its 503 once, then got a 400
        #expect(measured.first?.queueWait != nil)
        #expect(measured.last?.retries == 0)  // the fallback's own figures, not the primary's
        #expect(context.measurements.retries == 0)
    }

    @Test func fullQueueWaitsWhenDropExcessIsOff() async throws {
        let log = EventLog()
        let provider = FakeProvider("openai", log: log, delay: .milliseconds(50))
        let engine = makeEngine(providers: [provider], concurrency: ConcurrencyConfig(concurrency: 1, bufferSize: 1))
        try await withThrowingTaskGroup(of: BifrostResponse.self) { group in
            for _ in 0..<4 { group.addTask { try await engine.complete(chatRequest()) } }
            var count = 0
            for try await _ in group { count += 1 }
            #expect(count == 4)
        }
    }

    @Test func cancelledWaitingRequestLeavesTheQueue() async throws {
        let log = EventLog()
        let provider = FakeProvider("openai", log: log, delay: .milliseconds(300))
        let engine = makeEngine(providers: [provider], concurrency: ConcurrencyConfig(concurrency: 1, bufferSize: 10))
        async let first: BifrostResponse = engine.complete(chatRequest())
        try await Task.sleep(for: .milliseconds(30))
        let context = BifrostContext()
        let waiting = Task { try await engine.complete(chatRequest(), context: context) }
        try await Task.sleep(for: .milliseconds(30))
        context.cancel()
        do {
            _ = try await waiting.value
            Issue.record("the cancelled request should fail")
        } catch let error as BifrostError {
            #expect(error.error.type == "cancelled")
        }
        _ = try await first
        #expect(log.all.count == 1)  // the cancelled request never reached the provider
    }

    @Test func waitingRequestTimesOutAtItsDeadline() async throws {
        let log = EventLog()
        let provider = FakeProvider("openai", log: log, delay: .milliseconds(400))
        let engine = makeEngine(providers: [provider], concurrency: ConcurrencyConfig(concurrency: 1, bufferSize: 10))
        async let first: BifrostResponse = engine.complete(chatRequest())
        try await Task.sleep(for: .milliseconds(30))
        let context = BifrostContext(deadline: .now + .milliseconds(100))
        do {
            _ = try await engine.complete(chatRequest(), context: context)
            Issue.record("expected a timeout")
        } catch {
            #expect(error.statusCode == 504)
        }
        _ = try await first
    }
}

@Suite("Retry policy")
struct RetryPolicyTests {
    @Test func networkAndTimeoutFailuresRetryButCancellationNever() {
        var network = NetworkConfig()
        network.maxRetries = 2
        let policy = RetryPolicy(network: network)
        #expect(policy.shouldRetry(BifrostError(message: "reset", type: "network"), attempt: 0))
        #expect(policy.shouldRetry(BifrostError(message: "slow", type: "timeout"), attempt: 1))
        #expect(!policy.shouldRetry(BifrostError(message: "slow", type: "timeout"), attempt: 2))
        #expect(!policy.shouldRetry(BifrostError(message: "gone", type: "cancelled", statusCode: 499), attempt: 0))
        #expect(!policy.shouldRetry(BifrostError(message: "bad", statusCode: 400), attempt: 0))
    }

    @Test func anthropicOverloaded529RetriesLike503() {
        var network = NetworkConfig()
        network.maxRetries = 1
        let policy = RetryPolicy(network: network)
        #expect(policy.shouldRetry(BifrostError(message: "overloaded", statusCode: 529), attempt: 0))
        #expect(policy.shouldRetry(BifrostError(message: "unavailable", statusCode: 503), attempt: 0))
        #expect(!policy.shouldRetry(BifrostError(message: "overloaded", statusCode: 529), attempt: 1))
    }
}
