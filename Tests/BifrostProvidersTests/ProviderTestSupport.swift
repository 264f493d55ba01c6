import BifrostCore
import BifrostHTTP
import BifrostIO
import BifrostMock
import BifrostPluginKit
import BifrostTLS
import BifrostTestSupport
import Foundation
import Synchronization
import Testing

@testable import BifrostProviders

/// Every suite that talks to an in-process upstream runs one test at a time.
@Suite(.serialized) enum LiveProviderTests {}

/// A TLS server context from the generated test certificates.
func testServerTLS() throws -> TLSContext {
    let certificates = TestCertificates.shared
    return try TLSContext(server: TLSServerConfiguration(certificateChainFile: certificates.serverCertificate,
                                                         privateKeyFile: certificates.serverKey))
}

/// Requests an upstream has received.
final class RecordedRequests: Sendable {
    private let requests = Mutex<[HTTPRequest]>([])
    func append(_ request: HTTPRequest) { requests.withLock { $0.append(request) } }
    var all: [HTTPRequest] { requests.withLock { $0 } }
    var last: HTTPRequest? { requests.withLock { $0.last } }
}

/// An HTTPS upstream on 127.0.0.1:0 that records every request and answers with `reply`.
final class CaptureServer: Sendable {
    let recorded = RecordedRequests()
    let server: TestServer
    var baseURL: String { "https://localhost:\(server.port)" }

    init(reply: @escaping @Sendable (HTTPRequest) -> HTTPResponse) throws {
        let recorded = self.recorded
        server = try TestServer(handler: ClosureHandler { request, responder in
            recorded.append(request)
            responder.send(reply(request))
        }, tls: try testServerTLS())
    }

    /// Answers every request with `status` and `body` (JSON, or SSE when `eventStream`), plus `headers`.
    convenience init(status: Int = 200, body: String, eventStream: Bool = false, headers: [(String, String)] = []) throws {
        try self.init { _ in
            var fields = HTTPHeaders(headers)
            fields.add(name: "Content-Type", value: eventStream ? "text/event-stream" : "application/json")
            return HTTPResponse(status: HTTPStatus(code: status), headers: fields, body: Array(body.utf8))
        }
    }

    /// The last request's body as a JSON object.
    func lastBody(sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        let request = try #require(recorded.last, "the upstream received no request", sourceLocation: sourceLocation)
        return try jsonObject(request.body, sourceLocation: sourceLocation)
    }

    deinit { server.stop(grace: 0.2) }
}

/// A `bifrost-mock` over HTTPS on 127.0.0.1:0.
final class MockUpstream: Sendable {
    let server: TestServer
    let provider: MockProvider
    var baseURL: String { "https://localhost:\(server.port)" }

    init() throws {
        provider = MockProvider()
        server = try TestServer(handler: provider, tls: try testServerTLS())
    }

    deinit { server.stop(grace: 0.2) }
}

/// An HTTP client on its own loop that trusts the test CA.
final class TestUpstreamClient: Sendable {
    let group: EventLoopGroup
    let client: HTTPClient

    init() throws {
        var configuration = HTTPClientConfiguration()
        configuration.tls.caFile = TestCertificates.shared.caFile
        group = try EventLoopGroup(loopCount: 1, name: "provider-test-client")
        client = try HTTPClient(group: group, configuration: configuration)
    }

    deinit { group.shutdown() }
}

/// A provider config with one key, a base URL and `meta_config`.
func providerConfig(key: String = "test-key", baseURL: String? = nil, meta: [String: JSONValue] = [:],
                    extraHeaders: [String: String] = [:], rawResponse: Bool = false) -> ProviderConfig {
    var network = NetworkConfig()
    network.baseURL = baseURL
    network.extraHeaders = extraHeaders
    network.defaultRequestTimeout = 5
    var config = ProviderConfig(keys: [ProviderKey(value: key)], network: network)
    config.meta = meta
    config.sendBackRawResponse = rawResponse
    return config
}

/// A chat request.
func chatRequest(_ provider: String, _ model: String, _ messages: [BifrostMessage],
                 params: ModelParameters = ModelParameters()) -> BifrostRequest {
    BifrostRequest(provider: provider, model: model, input: .chat(messages), params: params)
}

/// Every chunk of `stream`, and the error that ended it (nil when it finished cleanly).
func drain(_ stream: BifrostStream) async -> (chunks: [BifrostResponse], error: (any Error)?) {
    var chunks: [BifrostResponse] = []
    do {
        for try await chunk in stream { chunks.append(chunk) }
        return (chunks, nil)
    } catch {
        return (chunks, error)
    }
}

/// Runs `body` and returns the ``BifrostError`` it throws; records an issue when it throws nothing or something else.
func expectBifrostError(sourceLocation: SourceLocation = #_sourceLocation,
                        _ body: () async throws -> Void) async -> BifrostError? {
    do {
        try await body()
    } catch let error as BifrostError {
        return error
    } catch {
        Issue.record("expected a BifrostError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
    Issue.record("expected a BifrostError, but nothing was thrown", sourceLocation: sourceLocation)
    return nil
}

/// Parses `bytes` as a JSON object (Foundation, independent of the code under test).
func jsonObject(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
    let value = try JSONSerialization.jsonObject(with: Data(bytes))
    return try #require(value as? [String: Any], "not a JSON object: \(String(decoding: bytes, as: UTF8.self))",
                        sourceLocation: sourceLocation)
}

/// A JSON text parsed with the project's parser.
func json(_ text: String) throws -> JSONValue {
    try JSONParser.parse(Array(text.utf8))
}

/// Server-Sent Events with `event:` names, as Anthropic sends them: one `event:`/`data:` pair per JSON object.
func anthropicEvents(_ events: [String]) -> String {
    events.map { data -> String in
        let type = (try? JSONParser.parse(Array(data.utf8)))?["type"]?.stringValue ?? "message"
        return "event: \(type)\ndata: \(data)\n\n"
    }.joined()
}
