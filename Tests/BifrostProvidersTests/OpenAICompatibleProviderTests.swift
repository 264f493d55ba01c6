import BifrostHTTP
import BifrostPluginKit
import BifrostTestSupport
import Foundation
import Testing

@testable import BifrostCore
@testable import BifrostProviders

extension LiveProviderTests {
    /// The OpenAI-compatible adapter against HTTPS upstreams in-process.
    @Suite("OpenAI-compatible provider over HTTPS")
    struct OpenAICompatibleProviderTests {
        private func openai(_ base: String, extraHeaders: [String: String] = [:], client: TestUpstreamClient) -> OpenAICompatibleProvider {
            OpenAICompatibleProvider(name: "openai", baseURL: base, client: client.client,
                                     config: providerConfig(key: "sk-secret", baseURL: base, extraHeaders: extraHeaders))
        }

        private static func events(_ data: [String]) -> String {
            data.map { "data: \($0)\n\n" }.joined()
        }

        @Test func streamedToolCallsCarryIndexAndAssembleFromIndexOnlyPieces() async throws {
            let upstream = try CaptureServer(body: Self.events(OpenAIStreamTranslatorTests.toolEvents), eventStream: true)
            let client = try TestUpstreamClient()
            let context = BifrostContext()
            let stream = try await openai(upstream.baseURL, extraHeaders: ["x-b": "2", "x-a": "1"], client: client)
                .stream(chatRequest("openai", "gpt-4o", [.text("user", "Weather and time?")]), key: ProviderKey(value: "sk-secret"),
                        context: context)
            let (chunks, error) = await drain(stream)
            #expect(error == nil)
            #expect(chunks.count == 6)
            #expect(context.measurements.firstChunkLatency != nil)

            // What the client receives: every tool-call delta names its call's index.
            let written = try chunks[0..<5].map { chunk in
                let choice = try #require((try jsonObject(JSONWriter.encode(chunk))["choices"] as? [[String: Any]])?.first)
                let delta = try #require(choice["delta"] as? [String: Any])
                return try #require((delta["tool_calls"] as? [[String: Any]])?.first?["index"] as? Int)
            }
            #expect(written == [0, 0, 0, 1, 1])

            // What PostHooks see: the calls assembled from pieces that upstream sent with only an index.
            var accumulator = StreamAccumulator()
            for chunk in chunks { accumulator.add(chunk) }
            let message = accumulator.response(provider: "openai", fallbackModel: "gpt-4o").choices.first?.message
            #expect(message?.toolCalls == [ToolCall(id: "call_a", name: "get_weather", arguments: #"{"city":"Oslo"}"#),
                                           ToolCall(id: "call_b", name: "get_time", arguments: "{}")])

            let sent = try #require(upstream.recorded.last)
            #expect(sent.target == "/v1/chat/completions")
            #expect(sent.headers["authorization"] == "Bearer sk-secret")
            #expect(sent.headers["accept"] == "text/event-stream")
            #expect(sent.headers.map(\.name).filter { $0.hasPrefix("x-") } == ["x-a", "x-b"])
        }

        @Test func streamCutBeforeDoneIsA502() async throws {
            let upstream = try CaptureServer(body: Self.events(Array(OpenAIStreamTranslatorTests.toolEvents.prefix(2))), eventStream: true)
            let client = try TestUpstreamClient()
            let stream = try await openai(upstream.baseURL, client: client)
                .stream(chatRequest("openai", "gpt-4o", [.text("user", "Hi")]), key: ProviderKey(value: "k"), context: BifrostContext())
            let (chunks, error) = await drain(stream)
            #expect(chunks.count == 2)
            let failure = try #require(error as? BifrostError)
            #expect(failure.statusCode == 502)
            #expect(failure.error.message == "openai stream ended before [DONE]")
        }

        @Test func completeDecodesWithLatencyAndNonJSONIsA502() async throws {
            let client = try TestUpstreamClient()
            let good = try CaptureServer(body: LiveProviderTests.AzureProviderTests.completion)
            let response = try await openai(good.baseURL + "/v1", client: client)
                .complete(chatRequest("openai", "gpt-4o", [.text("user", "Hi")]), key: ProviderKey(value: "k"), context: BifrostContext())
            #expect(good.recorded.last?.target == "/v1/chat/completions")
            #expect(good.recorded.last?.headers["accept"] == "application/json")
            #expect(response.choices.first?.message?.content == .text("from azure"))
            #expect(response.extraFields.latency != nil)

            let bad = try CaptureServer(body: "<html>")
            let error = await expectBifrostError {
                _ = try await openai(bad.baseURL, client: client)
                    .complete(chatRequest("openai", "gpt-4o", [.text("user", "Hi")]), key: ProviderKey(value: "k"), context: BifrostContext())
            }
            #expect(error?.statusCode == 502)
            #expect(error?.error.message.contains("not valid JSON") == true)
        }

        @Test func unusableBaseURLFailsWithoutACall() async throws {
            let client = try TestUpstreamClient()
            let provider = openai("ftp://nowhere", client: client)
            for streaming in [false, true] {
                let error = await expectBifrostError {
                    let request = chatRequest("openai", "gpt-4o", [.text("user", "Hi")])
                    if streaming {
                        _ = try await provider.stream(request, key: ProviderKey(value: "k"), context: BifrostContext())
                    } else {
                        _ = try await provider.complete(request, key: ProviderKey(value: "k"), context: BifrostContext())
                    }
                }
                #expect(error?.statusCode == 500)
                #expect(error?.error.type == "configuration_error")
            }
        }
    }
}
