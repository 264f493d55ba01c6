import BifrostMock
import BifrostTestSupport
import Dispatch
import Foundation
import Testing

/// Every suite that talks to a live mock runs one test at a time, so timing checks are not disturbed.
@Suite(.serialized) enum MockLiveTests {}

/// A `MockProvider` behind a ``TestServer`` (127.0.0.1, port 0, its own two event loops).
final class MockTestServer: Sendable {
    let base: TestServer
    let provider: MockProvider
    var port: Int { base.port }

    init(options: MockOptions = MockOptions()) throws {
        let provider = MockProvider(options: options)
        base = try TestServer(handler: provider)
        provider.statistics.attach(base.server)
        self.provider = provider
    }

    /// Opens a client, runs `body` with it on a Dispatch thread (never blocking the cooperative pool,
    /// where the mock's delayed answers run), and returns its result.
    func withClient<T: Sendable>(timeoutSeconds: Int = 5,
                                 _ body: @escaping @Sendable (TestClient) throws -> T) async throws -> T {
        let port = self.port
        return try await onDispatchThread {
            let client = try TestClient(port: port, timeoutSeconds: timeoutSeconds)
            return try body(client)
        }
    }

    /// One request on a fresh connection; returns the whole response.
    func request(_ path: String, method: String = "POST", json: String? = nil,
                 headers: [(String, String)] = []) async throws -> TestClient.Response {
        let raw = TestClient.request(method, path, body: json, headers: headers)
        return try await withClient { client in
            try client.send(raw)
            return try client.readResponse()
        }
    }

    deinit { base.stop(grace: 0.5) }
}

/// Runs blocking work on a Dispatch thread and awaits its result.
func onDispatchThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(with: Result { try body() })
        }
    }
}

/// Parses `bytes` as a JSON object (Foundation); fails the test when it is not one.
func jsonObject(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
    let value = try JSONSerialization.jsonObject(with: Data(bytes))
    return try #require(value as? [String: Any], "not a JSON object: \(String(decoding: bytes, as: UTF8.self))",
                        sourceLocation: sourceLocation)
}

/// Splits a Server-Sent Events body into events: each a list of (field, value) lines.
func serverSentEvents(_ body: [UInt8]) -> [[(field: String, value: String)]] {
    String(decoding: body, as: UTF8.self)
        .components(separatedBy: "\n\n")
        .filter { !$0.isEmpty }
        .map { block in
            block.split(separator: "\n").map { line in
                guard let colon = line.firstIndex(of: ":") else { return (String(line), "") }
                var value = line[line.index(after: colon)...]
                if value.first == " " { value = value.dropFirst() }
                return (String(line[..<colon]), String(value))
            }
        }
}

/// The `data:` values of an SSE body, in order.
func serverSentData(_ body: [UInt8]) -> [String] {
    serverSentEvents(body).compactMap { event in event.first { $0.field == "data" }?.value }
}
