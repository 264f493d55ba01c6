import BifrostHTTP
import BifrostIO
import BifrostTLS
import BifrostTestSupport
import Foundation
import Glibc
import Testing

/// A client on its own loops, for one test.
final class TestHTTPClient: Sendable {
    let group: EventLoopGroup
    let client: HTTPClient

    init(loops: Int = 1, _ configure: (inout HTTPClientConfiguration) -> Void = { _ in }) throws {
        var configuration = HTTPClientConfiguration()
        configuration.tls.caFile = TestCertificates.shared.caFile
        configure(&configuration)
        group = try EventLoopGroup(loopCount: loops, name: "client-loop")
        client = try HTTPClient(group: group, configuration: configuration)
    }

    deinit { group.shutdown() }

    func get(_ url: String, timeouts: HTTPClientTimeouts = HTTPClientTimeouts()) async throws -> (HTTPClientResponse, String) {
        let response = try await client.execute(try HTTPClientRequest(url: url, timeouts: timeouts))
        let body = try await response.body.collect()
        return (response, String(decoding: body, as: UTF8.self))
    }
}

/// A TLS server context from generated certificates.
func serverTLS(_ certificate: String, _ key: String) throws -> TLSContext {
    try TLSContext(server: TLSServerConfiguration(certificateChainFile: certificate, privateKeyFile: key))
}

/// Expects `body` to throw an ``HTTPClientError`` of `kind`; returns it.
@discardableResult
func expectClientError(_ kind: HTTPClientError.Kind, _ body: () async throws -> Void) async -> HTTPClientError? {
    do {
        try await body()
    } catch let error as HTTPClientError {
        if error.kind != kind { Issue.record("expected \(kind.rawValue), got \(error)") }
        return error
    } catch {
        Issue.record("expected HTTPClientError \(kind.rawValue), got \(error)")
        return nil
    }
    Issue.record("expected HTTPClientError \(kind.rawValue), but the request succeeded")
    return nil
}

/// gzip or zlib-deflate `text` with the system's tools-free path: Foundation has no zlib API on
/// Linux, so the `gzip` command (and a zlib header built by hand for deflate) is used.
func gzipped(_ text: String) throws -> [UInt8] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/gzip")
    process.arguments = ["-c", "-n"]
    let input = Pipe(), output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    try process.run()
    input.fileHandleForWriting.write(Data(text.utf8))
    try input.fileHandleForWriting.close()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Array(data)
}

/// Starts a non-blocking connect to 127.0.0.1:`port` and returns the socket without waiting.
func startConnect(port: Int) -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    _ = fcntl(fd, F_SETFL, O_NONBLOCK)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    _ = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    return fd
}
