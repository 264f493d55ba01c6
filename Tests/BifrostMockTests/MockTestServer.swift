import BifrostHTTP
import BifrostIO
import BifrostMock
import Dispatch
import Foundation
import Testing

/// Every suite that talks to a live mock runs one test at a time, so timing checks are not disturbed.
@Suite(.serialized) enum MockLiveTests {}

/// A `MockProvider` behind an in-process server on 127.0.0.1, port 0, with its own two event loops.
final class MockTestServer: Sendable {
    let group: EventLoopGroup
    let server: HTTPServer
    let provider: MockProvider
    var port: Int { server.port }

    init(options: MockOptions = MockOptions()) throws {
        var configuration = HTTPServerConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.shutdownGracePeriod = 0.5
        group = try EventLoopGroup(loopCount: 2, name: "mock-test-loop")
        provider = MockProvider(options: options)
        server = HTTPServer(configuration: configuration, group: group, handler: provider)
        provider.statistics.attach(server)
        try server.start()
    }

    /// Opens a client, runs `body` with it on a Dispatch thread (never blocking the cooperative pool,
    /// where the mock's delayed answers run), and returns its result.
    func withClient<T: Sendable>(timeoutSeconds: Int = 5,
                                 _ body: @escaping @Sendable (MockTestClient) throws -> T) async throws -> T {
        let port = self.port
        return try await onDispatchThread {
            let client = try MockTestClient(port: port, timeoutSeconds: timeoutSeconds)
            return try body(client)
        }
    }

    /// One request on a fresh connection; returns the whole response.
    func request(_ path: String, method: String = "POST", json: String? = nil,
                 headers: [(String, String)] = []) async throws -> MockTestClient.Response {
        let raw = MockTestClient.request(method, path, body: json, headers: headers)
        return try await withClient { client in
            try client.send(raw)
            return try client.readResponse()
        }
    }

    func stop() {
        server.shutdown(gracePeriod: 0.5)
        group.shutdown()
    }

    deinit { stop() }
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
