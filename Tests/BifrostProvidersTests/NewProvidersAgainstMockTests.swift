import BifrostCore
import BifrostHTTP
import BifrostPluginKit
import Testing

@testable import BifrostProviders

extension LiveProviderTests {
    /// Gemini, Cohere and Vertex against `bifrost-mock` (which speaks their APIs): answers and streams.
    @Suite("Gemini, Cohere and Vertex against bifrost-mock")
    struct NewProvidersAgainstMockTests {
        private let mockText = "Hello! This is a mock response from bifrost-mock."

        private func answers(_ provider: any Provider, model: String) async throws {
            let request = chatRequest(provider.name, model, [.text("user", "hi")])
            let response = try await provider.complete(request, key: ProviderKey(value: "k"), context: BifrostContext())
            #expect(response.choices.first?.message?.content?.plainText == mockText, "\(provider.name)")
            #expect(response.choices.first?.finishReason == "stop")
            #expect((response.usage?.completionTokens ?? 0) > 0)
            let (chunks, error) = await drain(try await provider.stream(request, key: ProviderKey(value: "k"), context: BifrostContext()))
            #expect(error == nil, "\(provider.name): \(String(describing: error))")
            #expect(chunks.compactMap { $0.choices.first?.delta?.content?.plainText }.joined() == mockText, "\(provider.name)")
            // The model asked for, in answers and chunks alike (Vertex sends Gemini models as google/<model>).
            #expect(response.extraFields.model == model, "\(provider.name)")
            #expect(chunks.allSatisfy { $0.extraFields.model == model }, "\(provider.name)")
        }

        @Test func geminiAnswersAndStreams() async throws {
            let mock = try MockUpstream()
            let client = try TestUpstreamClient()
            try await answers(GeminiProvider(name: "gemini", baseURL: mock.baseURL, client: client.client, config: providerConfig()),
                              model: "gemini-2.0-flash")
        }

        @Test func cohereAnswersAndStreams() async throws {
            let mock = try MockUpstream()
            let client = try TestUpstreamClient()
            try await answers(CohereProvider(name: "cohere", baseURL: mock.baseURL, client: client.client, config: providerConfig()),
                              model: "command-r-plus")
        }

        @Test func vertexSignsInAtTheMockAndAnswersForClaudeAndGemini() async throws {
            let mock = try MockUpstream()
            let client = try TestUpstreamClient()
            let account = try VertexProviderTests.Account()
            var config = providerConfig(key: "", baseURL: mock.baseURL, meta: [
                "project_id": .string("demo"), "region": .string("us-east5"),
                "auth_credentials": .string(account.json(tokenURI: mock.baseURL + "/token")),
            ])
            config.keys = [ProviderKey(value: "")]
            let vertex = VertexProvider(name: "vertex", client: client.client, config: config)
            try await answers(vertex, model: "claude-3-5-haiku@20241022")
            try await answers(vertex, model: "gemini-2.0-flash")
        }
    }
}
