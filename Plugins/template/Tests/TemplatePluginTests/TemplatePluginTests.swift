import BifrostPluginKit
import Testing
@testable import TemplatePlugin

/// The hooks called directly, as the engine would (`swift test` in this folder).
@Suite struct TemplatePluginTests {
    let request = BifrostRequest(provider: "openai", model: "gpt-4o-mini", input: .chat([.text("user", "hi")]))

    @Test func blockedModelFailsWithoutFallbacks() async throws {
        let plugin = try TemplatePlugin(config: .object(["blocked_model": .string("gpt-4o-mini")]))
        let (_, shortCircuit) = try await plugin.preHook(BifrostContext(), request)
        #expect(shortCircuit?.error?.statusCode == 403)
        #expect(shortCircuit?.error?.allowFallbacks == false)
    }

    @Test func pingIsAnsweredAndTagged() async throws {
        let plugin = try TemplatePlugin(config: .object(["ping_model": .string("gpt-4o-mini"), "tag": .string("t")]))
        let context = BifrostContext(headers: [(name: "x-team", value: "a")])
        let (_, shortCircuit) = try await plugin.preHook(context, request)
        let response = try #require(shortCircuit?.response)
        _ = try await plugin.postHook(context, response, nil)
        #expect(context.responseHeaders.contains(ResponseHeader(name: "x-template-tag", value: "t")))
        #expect(context.responseHeaders.contains(ResponseHeader(name: "x-template-team", value: "a")))
    }

    @Test func badConfigIsRejectedAtInit() {
        #expect(throws: PluginConfigurationError.self) { try TemplatePlugin(config: .object(["tag": .number(1)])) }
    }
}
