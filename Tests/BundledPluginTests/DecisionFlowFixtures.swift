import BifrostCore
import BifrostHTTP
import BifrostMock
import BifrostPluginKit
import BifrostTestSupport
import BifrostTLS
import BifrostTransport
import Foundation
import Logging
import Synchronization

/// Events in order, across tasks.
final class FlowLog: Sendable {
    private let events = Mutex<[String]>([])
    func record(_ event: String) { events.withLock { $0.append(event) } }
    var all: [String] { events.withLock { $0 } }
}

/// A provider that counts its calls and answers "answer <n>" (or fails with `failure`).
final class CountingProvider: Provider {
    let name: String
    let calls = Counter()
    let failure: BifrostError?
    let log: FlowLog?

    init(_ name: String = "openai", failure: BifrostError? = nil, log: FlowLog? = nil) {
        self.name = name
        self.failure = failure
        self.log = log
    }

    func complete(_ request: BifrostRequest, key: ProviderKey, context: BifrostContext) async throws -> BifrostResponse {
        calls.increment()
        log?.record("provider:\(name)")
        if let failure { throw failure }
        return BifrostResponse(id: "r\(calls.value)", object: "chat.completion", created: 1, model: request.model,
                               choices: [Choice(message: .text("assistant", "answer \(calls.value)"), finishReason: "stop")],
                               usage: Usage(promptTokens: 4, completionTokens: 2),
                               extraFields: ExtraFields(provider: name, model: request.model))
    }

    func stream(_ request: BifrostRequest, key: ProviderKey, context: BifrostContext) async throws -> BifrostStream {
        calls.increment()
        log?.record("provider-stream:\(name)")
        if let failure { throw failure }
        let name = self.name, count = calls.value
        let pieces = ["streamed ", "answer \(count)"]
        return AsyncThrowingStream { continuation in
            for (index, piece) in pieces.enumerated() {
                let last = index == pieces.count - 1
                continuation.yield(BifrostResponse(
                    id: "s\(count)", object: "chat.completion.chunk", created: 1, model: request.model,
                    choices: [Choice(delta: BifrostMessage(role: index == 0 ? "assistant" : "", content: .text(piece)),
                                     finishReason: last ? "stop" : nil)],
                    usage: last ? Usage(promptTokens: 4, completionTokens: 2) : nil,
                    extraFields: ExtraFields(provider: name, model: request.model)))
            }
            continuation.finish()
        }
    }
}

/// Wraps a plugin and records `pre:<name>` / `post:<name>` around its hooks.
final class Traced: Plugin {
    let inner: any Plugin
    let log: FlowLog
    var name: String { inner.name }

    init(_ inner: any Plugin, _ log: FlowLog) {
        self.inner = inner
        self.log = log
    }

    func preHook(_ context: BifrostContext, _ request: BifrostRequest) async throws -> (BifrostRequest, PluginShortCircuit?) {
        log.record("pre:\(name)")
        return try await inner.preHook(context, request)
    }

    func postHook(_ context: BifrostContext, _ response: BifrostResponse?, _ error: BifrostError?) async throws
        -> (BifrostResponse?, BifrostError?) {
        log.record("post:\(name)")
        return try await inner.postHook(context, response, error)
    }

    func cleanup() async throws { try await inner.cleanup() }
}

/// An engine over `providers` (one key each) with `plugins`.
func pluginEngine(_ providers: [CountingProvider], plugins: [any Plugin]) -> Bifrost {
    var configs: [String: ProviderConfig] = [:]
    for provider in providers { configs[provider.name] = ProviderConfig(keys: [ProviderKey(value: "upstream-key")]) }
    let byName = Dictionary(uniqueKeysWithValues: providers.map { ($0.name, $0 as any Provider) })
    var options = BifrostOptions()
    options.logger.logLevel = .critical
    return Bifrost(account: StaticAccount(configs), providers: { name, _ in byName[name] }, plugins: plugins, options: options)
}

func chat(_ provider: String = "openai", _ model: String = "gpt-4o-mini", text: String = "hi", stream: Bool = false,
          fallbacks: [Fallback] = []) -> BifrostRequest {
    BifrostRequest(provider: provider, model: model, input: .chat([.text("user", text)]), fallbacks: fallbacks, stream: stream)
}

func context(_ headers: [(String, String)] = []) -> BifrostContext {
    BifrostContext(headers: headers.map { (name: $0.0, value: $0.1) })
}

/// The text of a chat response's first choice.
func text(_ response: BifrostResponse) -> String? {
    response.choices.first?.message?.content?.plainText
}

/// `bifrost-mock` over HTTPS that counts the calls reaching it.
final class CountingUpstream: Sendable {
    let calls = Counter()
    let server: TestServer

    init() throws {
        let calls = self.calls
        let mock = MockProvider(options: MockOptions())
        let certificates = TestCertificates.shared
        server = try TestServer(handler: ClosureHandler { request, responder in
            calls.increment()
            mock.handle(request, responder: responder)
        }, tls: try TLSContext(server: TLSServerConfiguration(certificateChainFile: certificates.serverCertificate,
                                                              privateKeyFile: certificates.serverKey)))
    }
}

/// A real gateway in-process on 127.0.0.1 with `plugins`, whose `openai` provider is a counting mock.
final class PluginGateway: Sendable {
    let upstream: CountingUpstream
    let gateway: Gateway
    var port: Int { gateway.server.port }

    init(plugins: [any Plugin]) throws {
        upstream = try CountingUpstream()
        let providers = #"{"openai": {"keys": [{"value": "sk-upstream"}], "network_config": {"base_url": "https://localhost:\#(upstream.server.port)"}}}"#
        var config = try GatewayConfig.parse(Data(#"{"providers": \#(providers)}"#.utf8), path: "test.json", environment: [:])
        config.eventLoops = 1
        var options = GatewayOptions()
        options.upstreamTLS.caFile = TestCertificates.shared.caFile
        options.plugins = plugins
        var quiet = Logger(label: "bundled-plugin-tests")
        quiet.logLevel = .error
        gateway = try Gateway(config: config, host: "127.0.0.1", port: 0, options: options, logger: quiet)
        try gateway.start()
    }

    /// Stops the gateway (plugins' `cleanup()` runs).
    func stop() { gateway.stop() }

    /// A JSON POST on a fresh connection; the whole response.
    func post(_ path: String, _ json: String, headers: [(String, String)] = []) throws -> TestClient.Response {
        let client = try TestClient(port: port)
        try client.send(TestClient.request("POST", path, body: json, headers: headers))
        return try client.readResponse()
    }
}

/// The `data:` payloads of a Server-Sent Events body.
func sseData(_ body: String) -> [String] {
    body.components(separatedBy: "\n").filter { $0.hasPrefix("data: ") }.map { String($0.dropFirst(6)) }
}

func jsonBody(_ text: String) -> [String: Any]? {
    (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
}

/// A fresh temporary directory.
func temporaryDirectory() -> String {
    let path = NSTemporaryDirectory() + "bifrost-plugin-tests-\(UUID().uuidString)"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}
