import BifrostCore
import BifrostHTTP
import BifrostPluginKit
import Foundation
import Testing

@testable import BifrostProviders

extension LiveProviderTests {
    /// The Bedrock adapter against an HTTPS upstream in-process: URL, SigV4 headers, body, answers.
    @Suite("Bedrock provider over HTTPS")
    struct BedrockProviderTests {
        private let model = "anthropic.claude-3-haiku-20240307-v1:0"
        private let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

        private func provider(_ upstream: CaptureServer, _ client: TestUpstreamClient, token: String? = nil) -> BedrockProvider {
            var meta: [String: JSONValue] = ["region": .string("eu-west-1"), "secret_access_key": .string(secret)]
            if let token { meta["session_token"] = .string(token) }
            let config = providerConfig(key: "AKIDEXAMPLE", baseURL: upstream.baseURL, meta: meta)
            return BedrockProvider(name: "bedrock", client: client.client, config: config,
                                   settings: BedrockSettings(config: config, environment: [:]))
        }

        @Test func converseIsSignedForWhatIsSentAndTranslatedBack() async throws {
            let upstream = try CaptureServer(body: #"{"output":{"message":{"role":"assistant","content":[{"text":"Hello from Bedrock"}]}},"stopReason":"end_turn","usage":{"inputTokens":7,"outputTokens":3,"totalTokens":10}}"#)
            let client = try TestUpstreamClient()
            let response = try await provider(upstream, client, token: "TOKEN").complete(
                chatRequest("bedrock", model, [.text("user", "hi")]), key: ProviderKey(value: "AKIDEXAMPLE"), context: BifrostContext())
            #expect(response.choices.first?.message?.content?.plainText == "Hello from Bedrock")
            #expect(response.choices.first?.finishReason == "stop")
            #expect(response.usage?.totalTokens == 10)

            let sent = try #require(upstream.recorded.last)
            #expect(sent.target == "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse")
            #expect(sent.headers["x-amz-security-token"] == "TOKEN")
            let authorization = try #require(sent.headers["authorization"])
            #expect(authorization.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"))
            #expect(authorization.contains("/eu-west-1/bedrock/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, "))
            // Recomputing the signature from what arrived proves that the signed host, path, headers and
            // body are exactly the ones sent.
            let amzDate = try #require(sent.headers["x-amz-date"])
            let time = try #require(Self.epoch(amzDate))
            let signer = AWSSigner(credentials: .init(accessKeyID: "AKIDEXAMPLE", secretAccessKey: secret, sessionToken: "TOKEN"),
                                   region: "eu-west-1", service: "bedrock")
            let expected = signer.sign(method: "POST", host: try #require(sent.headers["host"]), path: sent.target,
                                       headers: [("Content-Type", try #require(sent.headers["content-type"]))], body: sent.body, at: time)
            #expect(expected.last?.value == authorization)
            #expect(!authorization.contains(secret))
        }

        @Test func converseStreamDecodesEventStreamFrames() async throws {
            let frames = AWSEventStreamTests.frame([(":event-type", "messageStart"), (":message-type", "event")], #"{"role":"assistant"}"#)
                + AWSEventStreamTests.frame([(":event-type", "contentBlockDelta"), (":message-type", "event")],
                                            #"{"contentBlockIndex":0,"delta":{"text":"Hel"}}"#)
                + AWSEventStreamTests.frame([(":event-type", "contentBlockDelta"), (":message-type", "event")],
                                            #"{"contentBlockIndex":0,"delta":{"text":"lo"}}"#)
                + AWSEventStreamTests.frame([(":event-type", "messageStop"), (":message-type", "event")], #"{"stopReason":"end_turn"}"#)
                + AWSEventStreamTests.frame([(":event-type", "metadata"), (":message-type", "event")],
                                            #"{"usage":{"inputTokens":2,"outputTokens":2,"totalTokens":4}}"#)
            let upstream = try CaptureServer { _ in
                HTTPResponse(status: .ok, headers: HTTPHeaders([("Content-Type", "application/vnd.amazon.eventstream")]), body: frames)
            }
            let client = try TestUpstreamClient()
            let stream = try await provider(upstream, client).stream(chatRequest("bedrock", model, [.text("user", "hi")]),
                                                                     key: ProviderKey(value: "AKIDEXAMPLE"), context: BifrostContext())
            let (chunks, error) = await drain(stream)
            #expect(error == nil)
            #expect(chunks.compactMap { $0.choices.first?.delta?.content?.plainText }.joined() == "Hello")
            #expect(chunks.contains { $0.choices.first?.finishReason == "stop" })
            #expect(chunks.last?.usage?.totalTokens == 4)
            #expect(upstream.recorded.last?.target == "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse-stream")
            #expect(upstream.recorded.last?.headers["accept"] == "application/vnd.amazon.eventstream")
        }

        @Test func aCorruptFrameEndsTheStreamWithAnError() async throws {
            var frame = AWSEventStreamTests.frame([(":event-type", "messageStart"), (":message-type", "event")], #"{"role":"assistant"}"#)
            frame[frame.count - 1] ^= 0xFF
            let corrupted = frame
            let upstream = try CaptureServer { _ in HTTPResponse(status: .ok, body: corrupted) }
            let client = try TestUpstreamClient()
            let stream = try await provider(upstream, client).stream(chatRequest("bedrock", model, [.text("user", "hi")]),
                                                                     key: ProviderKey(value: "AKIDEXAMPLE"), context: BifrostContext())
            let (_, error) = await drain(stream)
            let failure = try #require(error as? BifrostError)
            #expect(failure.statusCode == 502)
            #expect(failure.error.message.contains("checksum"))
        }

        @Test func throttlingIsA429TheEngineRetries() async throws {
            let upstream = try CaptureServer(status: 400, body: #"{"message":"Rate exceeded"}"#,
                                             headers: [("x-amzn-ErrorType", "ThrottlingException:http://internal.amazon.com/")])
            let client = try TestUpstreamClient()
            let error = await expectBifrostError {
                _ = try await provider(upstream, client).complete(chatRequest("bedrock", model, [.text("user", "hi")]),
                                                                  key: ProviderKey(value: "AKIDEXAMPLE"), context: BifrostContext())
            }
            #expect(error?.statusCode == 429)
            #expect(error?.error.message == "Rate exceeded")
            var network = NetworkConfig()
            network.maxRetries = 1
            #expect(RetryPolicy(network: network).shouldRetry(try #require(error), attempt: 0))
        }

        @Test func missingSecretIsAConfigurationErrorBeforeAnyCall() async throws {
            let upstream = try CaptureServer(body: "{}")
            let client = try TestUpstreamClient()
            let config = providerConfig(key: "AKIDEXAMPLE", baseURL: upstream.baseURL, meta: ["region": .string("us-east-1")])
            let bedrock = BedrockProvider(name: "bedrock", client: client.client, config: config,
                                          settings: BedrockSettings(config: config, environment: [:]))
            let error = await expectBifrostError {
                _ = try await bedrock.complete(chatRequest("bedrock", model, [.text("user", "hi")]), key: ProviderKey(value: "AKIDEXAMPLE"),
                                               context: BifrostContext())
            }
            #expect(error?.error.message.contains("AWS_SECRET_ACCESS_KEY") == true)
            #expect(upstream.recorded.all.isEmpty)
        }

        @Test func againstTheMockChatStreamToolsAndThrottling() async throws {
            let mock = try MockUpstream()
            let client = try TestUpstreamClient()
            let meta: [String: JSONValue] = ["region": .string("us-east-1"), "secret_access_key": .string(secret)]
            let config = providerConfig(key: "AKIDEXAMPLE", baseURL: mock.baseURL, meta: meta)
            let bedrock = BedrockProvider(name: "bedrock", client: client.client, config: config,
                                          settings: BedrockSettings(config: config, environment: [:]))
            let key = ProviderKey(value: "AKIDEXAMPLE")

            let answer = try await bedrock.complete(chatRequest("bedrock", model, [.text("user", "hi")]), key: key, context: BifrostContext())
            #expect(answer.choices.first?.message?.content?.plainText == "Hello! This is a mock response from bifrost-mock.")
            #expect(answer.choices.first?.finishReason == "stop")

            let (chunks, error) = await drain(try await bedrock.stream(chatRequest("bedrock", model, [.text("user", "hi")]), key: key,
                                                                      context: BifrostContext()))
            #expect(error == nil)
            #expect(chunks.compactMap { $0.choices.first?.delta?.content?.plainText }.joined()
                == "Hello! This is a mock response from bifrost-mock.")
            #expect(chunks.last?.usage != nil)

            let tools = ModelParameters(tools: [Tool(function: FunctionDefinition(name: "get_weather", parameters: .object([:])))])
            let call = try await bedrock.complete(chatRequest("bedrock", "mock-tool-model", [.text("user", "weather?")], params: tools),
                                                  key: key, context: BifrostContext())
            #expect(call.choices.first?.message?.toolCalls?.first?.function.name == "get_weather")
            #expect(call.choices.first?.finishReason == "tool_calls")

            let throttled = await expectBifrostError {
                _ = try await bedrock.complete(chatRequest("bedrock", "mock-fault-429", [.text("user", "hi")]), key: key,
                                               context: BifrostContext())
            }
            #expect(throttled?.statusCode == 429)
            #expect(throttled?.error.type == "ThrottlingException")
        }

        /// `YYYYMMDDTHHMMSSZ` → seconds since 1970.
        static func epoch(_ amzDate: String) -> Int? {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "UTC")
            formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
            return formatter.date(from: amzDate).map { Int($0.timeIntervalSince1970) }
        }
    }
}
