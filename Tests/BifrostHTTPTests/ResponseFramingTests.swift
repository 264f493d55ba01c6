@testable import BifrostHTTP
import Testing

@Suite("Response framing from Content-Length")
struct ResponseFramingTests {
    private func framing(_ fields: String) throws -> ResponseFraming {
        var parser = HTTPResponseHeadParser()
        let head = Array("HTTP/1.1 200 OK\r\n\(fields)\r\n".utf8)
        let result = head.withUnsafeBytes { parser.parse($0) }
        guard case .complete(let parsed, _) = result else {
            Issue.record("head did not parse: \(result)")
            return .untilClose
        }
        return try parsed.framing(requestMethod: "POST")
    }

    @Test func aPlainValueOrARepeatedListGivesTheLength() throws {
        #expect(try framing("Content-Length: 42\r\n") == .contentLength(42))
        #expect(try framing("Content-Length: 7 , 7\r\n") == .contentLength(7))
        #expect(try framing("Content-Length: 7\r\nContent-Length: 7\r\n") == .contentLength(7))
        #expect(try framing("Content-Length: 0\r\n") == ResponseFraming.none)
    }

    @Test func noLengthReadsUntilClose() throws {
        #expect(try framing("Content-Type: text/plain\r\n") == .untilClose)
    }

    @Test(arguments: ["Content-Length: 7, 8\r\n", "Content-Length: 7\r\nContent-Length: 8\r\n", "Content-Length: -1\r\n",
                      "Content-Length: 12a\r\n", "Content-Length: \r\n", "Content-Length: 1234567890123456789\r\n"])
    func aMalformedOrConflictingLengthIsAnError(_ fields: String) {
        #expect(throws: ResponseFramingError.self) { try framing(fields) }
    }
}
