import BifrostCore
import BifrostHTTP
import BifrostPluginKit
import Testing

@testable import BifrostProviders

/// The request side every adapter shares: headers, timeouts, endpoint parsing.
@Suite("Upstream call")
struct UpstreamCallTests {
    private func names(_ headers: HTTPHeaders) -> [String] { headers.map { $0.name } }

    @Test func headersAreTypeAcceptKeyDefaultsThenSortedExtras() throws {
        let client = try TestUpstreamClient()
        let call = UpstreamCall(provider: "anthropic", client: client.client,
                                config: providerConfig(extraHeaders: ["x-b": "2", "x-a": "1", "X-C": "3"]),
                                keyHeader: .named("x-api-key"), defaultHeaders: [(name: "anthropic-version", value: "2023-06-01")])
        let headers = call.headers(key: ProviderKey(value: "secret"), stream: true)
        #expect(names(headers) == ["Content-Type", "Accept", "x-api-key", "anthropic-version", "X-C", "x-a", "x-b"])
        #expect(headers["accept"] == "text/event-stream")
        #expect(headers["x-api-key"] == "secret")
        #expect(call.headers(key: ProviderKey(value: "secret"), stream: false)["accept"] == "application/json")
    }

    @Test func anExtraHeaderReplacesADefaultAndAnEmptyKeyIsLeftOut() throws {
        let client = try TestUpstreamClient()
        let call = UpstreamCall(provider: "anthropic", client: client.client,
                                config: providerConfig(extraHeaders: ["Anthropic-Version": "2099-01-01"]),
                                keyHeader: .named("x-api-key"), defaultHeaders: [(name: "anthropic-version", value: "2023-06-01")])
        let headers = call.headers(key: ProviderKey(value: ""), stream: false)
        #expect(names(headers) == ["Content-Type", "Accept", "Anthropic-Version"])
        #expect(headers["anthropic-version"] == "2099-01-01")

        let bearer = UpstreamCall(provider: "openai", client: client.client, config: providerConfig(), keyHeader: .bearer)
        #expect(bearer.headers(key: ProviderKey(value: "sk"), stream: false)["authorization"] == "Bearer sk")
        #expect(bearer.headers(key: ProviderKey(value: ""), stream: false)["authorization"] == nil)
    }

    /// Headers are built once per key and stream flag and then reused; past the cache's bound (keys
    /// can come from clients) they are still right, just built each time.
    @Test func reusedHeadersStayPerKeyAndPerStreamFlag() throws {
        let client = try TestUpstreamClient()
        let call = UpstreamCall(provider: "openai", client: client.client, config: providerConfig(), keyHeader: .bearer)
        for round in 0..<2 {
            for index in 0..<(UpstreamCall.builtHeadersLimit + 10) {
                for stream in [false, true] {
                    let headers = call.headers(key: ProviderKey(value: "sk-\(index)"), stream: stream)
                    #expect(headers["authorization"] == "Bearer sk-\(index)", "round \(round)")
                    #expect(headers["accept"] == (stream ? "text/event-stream" : "application/json"))
                }
            }
        }
    }

    /// Configured keys have their headers made up front; any other key (a Vertex token, one with a
    /// configured key's position) still gets its own.
    @Test func configuredKeysUseTheirPrebuiltHeadersAndOthersTheirOwn() throws {
        let client = try TestUpstreamClient()
        var config = providerConfig(extraHeaders: ["X-Team": "a"])
        config.keys = [ProviderKey(value: "sk-first", index: 0), ProviderKey(value: "sk-second", index: 1)]
        let call = UpstreamCall(provider: "openai", client: client.client, config: config, keyHeader: .bearer)
        for stream in [false, true] {
            let second = call.headers(key: ProviderKey(value: "sk-second", index: 1), stream: stream)
            #expect(second["authorization"] == "Bearer sk-second")
            #expect(second["accept"] == (stream ? "text/event-stream" : "application/json"))
            #expect(second["x-team"] == "a")
            #expect(call.headers(key: ProviderKey(value: "sk-client", index: 1), stream: stream)["authorization"] == "Bearer sk-client")
            #expect(call.headers(key: ProviderKey(value: "sk-far", index: 9), stream: stream)["authorization"] == "Bearer sk-far")
        }
    }

    @Test func timeoutsComeFromTheConfigAndTheDeadline() throws {
        let client = try TestUpstreamClient()
        let call = UpstreamCall(provider: "openai", client: client.client, config: providerConfig(), keyHeader: .bearer)
        let plain = call.timeouts(context: BifrostContext(), stream: false)
        #expect(plain.responseHeaders == 5 && plain.idleBetweenChunks == 5 && plain.total == 5)
        #expect(call.timeouts(context: BifrostContext(), stream: true).total == nil)
        let soon = call.timeouts(context: BifrostContext(deadline: .now + .seconds(2)), stream: true)
        #expect((soon.total ?? 0) > 1 && (soon.total ?? 0) <= 2)
    }

    @Test func anUnusableURLIsAConfigurationError() throws {
        let client = try TestUpstreamClient()
        let call = UpstreamCall(provider: "inhouse", client: client.client, config: providerConfig(), keyHeader: .bearer)
        guard case .failure(let error) = call.endpoint("ftp://example/v1/chat/completions") else {
            Issue.record("ftp:// should not parse")
            return
        }
        #expect(error.statusCode == 500)
        #expect(error.error.type == "configuration_error")
        #expect(error.error.message.hasPrefix("invalid base URL for inhouse"))
    }
}
