import BifrostIO
@testable import BifrostHTTP
import Testing

@Suite("HTTPHeaders")
struct HTTPHeadersTests {
    private func pairs(_ headers: HTTPHeaders) -> [String] {
        headers.map { "\($0.name): \($0.value)" }
    }

    @Test
    func emptyHeadersHaveNoFields() {
        let headers = HTTPHeaders()
        #expect(headers.isEmpty)
        #expect(headers.count == 0)
        #expect(headers["host"] == nil)
        #expect(headers.values("host").isEmpty)
        #expect(!headers.contains("host"))
        #expect(pairs(headers).isEmpty)
    }

    @Test
    func pairsAreKeptInOrderWithDuplicates() {
        let headers = HTTPHeaders([("Set-Cookie", "a=1"), ("Content-Type", "text/plain"), ("set-cookie", "b=2")])
        #expect(headers.count == 3)
        #expect(!headers.isEmpty)
        #expect(pairs(headers) == ["Set-Cookie: a=1", "Content-Type: text/plain", "set-cookie: b=2"])
    }

    @Test
    func subscriptIsCaseInsensitiveAndReturnsTheFirstValue() {
        let headers = HTTPHeaders([("X-Id", "first"), ("x-id", "second")])
        #expect(headers["x-id"] == "first")
        #expect(headers["X-ID"] == "first")
        #expect(headers.first("X-Id") == "first")
        #expect(headers["x-i"] == nil)
        #expect(headers["x-idd"] == nil)
    }

    @Test
    func valuesReturnsEveryValueInOrderCaseInsensitively() {
        let headers = HTTPHeaders([("Accept", "a"), ("Other", "x"), ("ACCEPT", "b"), ("accept", "c")])
        #expect(headers.values("accept") == ["a", "b", "c"])
        #expect(headers.values("Accept") == ["a", "b", "c"])
        #expect(headers.values("missing") == [])
    }

    @Test
    func caseFoldingOnlyAppliesToASCIILetters() {
        // '-' (0x2D) and '\r' (0x0D) differ by 0x20 but are not letters; nor are '@' and '`'.
        let headers = HTTPHeaders([("X-A", "dash"), ("X@", "at")])
        #expect(headers["x\rA"] == nil)
        #expect(headers["X`"] == nil)
        #expect(headers["x-a"] == "dash")
    }

    @Test
    func addAppendsAfterExistingFields() {
        var headers = HTTPHeaders([("Vary", "Accept")])
        headers.add(name: "vary", value: "Origin")
        headers.add(name: "Server", value: "bifrost")
        #expect(pairs(headers) == ["Vary: Accept", "vary: Origin", "Server: bifrost"])
        #expect(headers.values("VARY") == ["Accept", "Origin"])
    }

    @Test
    func replaceOrAddReplacesEveryFieldWithTheName() {
        var headers = HTTPHeaders([("Content-Length", "1"), ("X", "y"), ("content-length", "2")])
        headers.replaceOrAdd(name: "Content-Length", value: "3")
        #expect(pairs(headers) == ["X: y", "Content-Length: 3"])
        headers.replaceOrAdd(name: "New", value: "v")
        #expect(headers["new"] == "v")
        #expect(headers.count == 3)
    }

    @Test
    func removeDropsEveryFieldWithTheNameCaseInsensitively() {
        var headers = HTTPHeaders([("A", "1"), ("b", "2"), ("a", "3")])
        headers.remove(name: "A")
        #expect(pairs(headers) == ["b: 2"])
        headers.remove(name: "missing")
        #expect(headers.count == 1)
        headers.add(name: "c", value: "4")
        #expect(pairs(headers) == ["b: 2", "c: 4"])
    }

    @Test
    func containsTokenMatchesCommaSeparatedElementsCaseInsensitively() {
        let headers = HTTPHeaders([("Connection", "keep-alive , Upgrade"), ("Connection", "  TE,,close  ")])
        #expect(headers.containsToken("upgrade", in: "connection"))
        #expect(headers.containsToken("Keep-Alive", in: "CONNECTION"))
        #expect(headers.containsToken("close", in: "connection"))
        #expect(headers.containsToken("te", in: "connection"))
        #expect(!headers.containsToken("keep", in: "connection"))
        #expect(!headers.containsToken("alive", in: "connection"))
        #expect(!headers.containsToken("", in: "connection"))
        #expect(!headers.containsToken("close", in: "proxy-connection"))
    }

    @Test
    func containsTokenDoesNotMatchAWholeListOrAPartialElement() {
        let headers = HTTPHeaders([("Connection", "closed"), ("Connection", "keep-alive, upgrade")])
        #expect(!headers.containsToken("close", in: "connection"))
        #expect(!headers.containsToken("keep-alive, upgrade", in: "connection"))
    }

    @Test
    func lowercasedElementsSplitsTrimsAndLowercasesEveryField() {
        let headers = HTTPHeaders([("Transfer-Encoding", " GZip ,  , Deflate"), ("transfer-encoding", "Chunked")])
        #expect(headers.lowercasedElements("transfer-encoding") == ["gzip", "deflate", "chunked"])
        #expect(headers.lowercasedElements("missing") == [])
    }

    private func written(_ headers: HTTPHeaders) -> [UInt8] {
        var writer = ByteWriter(capacity: 1)
        headers.write(into: &writer)
        return writer.bytes
    }

    @Test
    func writeSerializesFieldsInOrderWithCRLF() {
        var headers = HTTPHeaders([("Content-Type", "text/plain"), ("X-A", "1")])
        headers.add(name: "X-A", value: "2")
        headers.remove(name: "content-type")
        #expect(written(headers) == bytes("X-A: 1\r\nX-A: 2\r\n"))
    }

    @Test
    func builtHeadersAreWrittenExactlyAfterAddsAndAHarmlessRemove() {
        var headers = HTTPHeaders([("Content-Type", "application/json")])
        headers.add(name: "Authorization", value: "Bearer sk-1")
        headers.remove(name: "x-missing")  // removes nothing
        headers.add(name: "X-Empty", value: "")
        #expect(written(headers) == bytes("Content-Type: application/json\r\nAuthorization: Bearer sk-1\r\nX-Empty: \r\n"))
        #expect(headers["authorization"] == "Bearer sk-1")
        #expect(headers["x-empty"] == "")
        #expect(headers.count == 3)
    }

    @Test
    func nonASCIIValuesRoundTrip() {
        let headers = HTTPHeaders([("X-Name", "café ☕")])
        #expect(headers["x-name"] == "café ☕")
    }

    @Test
    func parsedHeadersSupportTheSameOperations() throws {
        let raw = requestHead("GET / HTTP/1.1", "Host: a", "Connection: Upgrade, keep-alive", "X-A: 1")
        let head = try #require(parseHead(raw).head)
        var headers = head.headers
        #expect(headers.containsToken("upgrade", in: "connection"))
        headers.add(name: "X-A", value: "2")
        #expect(headers.values("x-a") == ["1", "2"])
        headers.replaceOrAdd(name: "host", value: "b")
        #expect(written(headers) == bytes("Connection: Upgrade, keep-alive\r\nX-A: 1\r\nX-A: 2\r\nhost: b\r\n"))
        // The parsed head itself is a value and is unchanged.
        #expect(head.headers["host"] == "a")
    }
}

@Suite("HTTPStatus and HTTPRequestError")
struct HTTPStatusTests {
    @Test(arguments: [
        (HTTPStatus.badRequest, 400, "Bad Request"),
        (HTTPStatus.payloadTooLarge, 413, "Content Too Large"),
        (HTTPStatus.expectationFailed, 417, "Expectation Failed"),
        (HTTPStatus.headersTooLarge, 431, "Request Header Fields Too Large"),
        (HTTPStatus.notImplemented, 501, "Not Implemented"),
        (HTTPStatus.versionNotSupported, 505, "HTTP Version Not Supported"),
    ])
    func statusesUsedByTheParserHaveTheirStandardReasons(_ status: HTTPStatus, _ code: Int, _ reason: String) {
        #expect(status.code == code)
        #expect(status.reason == reason)
    }

    @Test
    func customReasonAndUnknownCodes() {
        #expect(HTTPStatus(code: 200, reason: "Fine").reason == "Fine")
        #expect(HTTPStatus(code: 299).reason == "Status 299")
        #expect(HTTPStatus(code: 404) == .notFound)
    }

    @Test
    func informationalNoContentAndNotModifiedForbidABody() {
        #expect(HTTPStatus.continue.forbidsBody)
        #expect(HTTPStatus(code: 101).forbidsBody)
        #expect(HTTPStatus.noContent.forbidsBody)
        #expect(HTTPStatus.notModified.forbidsBody)
        #expect(!HTTPStatus.ok.forbidsBody)
        #expect(!HTTPStatus.badRequest.forbidsBody)
    }

    @Test
    func requestErrorDescriptionHasStatusCodeAndMessage() {
        let error = HTTPRequestError(.headersTooLarge, code: "header_too_large", "too big")
        #expect(error.description == "431 header_too_large: too big")
        #expect(HTTPRequestError.malformed("x") == HTTPRequestError(.badRequest, code: "malformed_request", "x"))
    }
}
