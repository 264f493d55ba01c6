@testable import BifrostHTTP
import Testing

/// A request head the parser must accept, with what it must decide about it.
struct ValidHeadCase: Sendable, CustomTestStringConvertible {
    let name: String
    let raw: [UInt8]
    var method = "GET"
    var target = "/"
    var minorVersion = 1
    var framing = HTTPBodyFraming.none
    var keepAlive = true
    var expectsContinue = false

    var testDescription: String { name }
}

let validHeads: [ValidHeadCase] = [
    ValidHeadCase(name: "GET with query string",
                  raw: requestHead("GET /v1/models?limit=10&after=abc HTTP/1.1", "Host: api.example.com"),
                  target: "/v1/models?limit=10&after=abc"),
    ValidHeadCase(name: "POST with Content-Length",
                  raw: requestHead("POST /v1/chat/completions HTTP/1.1", "Host: a", "Content-Type: application/json",
                                   "Content-Length: 42"),
                  method: "POST", target: "/v1/chat/completions", framing: .contentLength(42)),
    ValidHeadCase(name: "POST with Content-Length: 0 has no body",
                  raw: requestHead("POST /x HTTP/1.1", "Host: a", "Content-Length: 0"),
                  method: "POST", target: "/x", framing: .none),
    ValidHeadCase(name: "identical duplicate Content-Length fields are accepted",
                  raw: requestHead("POST /x HTTP/1.1", "Host: a", "Content-Length: 5", "content-length: 5"),
                  method: "POST", target: "/x", framing: .contentLength(5)),
    ValidHeadCase(name: "Content-Length list of identical values is accepted",
                  raw: requestHead("POST /x HTTP/1.1", "Host: a", "Content-Length: 5, 5"),
                  method: "POST", target: "/x", framing: .contentLength(5)),
    ValidHeadCase(name: "Content-Length with leading zeros",
                  raw: requestHead("POST /x HTTP/1.1", "Host: a", "Content-Length: 007"),
                  method: "POST", target: "/x", framing: .contentLength(7)),
    ValidHeadCase(name: "chunked Transfer-Encoding",
                  raw: requestHead("POST /upload HTTP/1.1", "Host: a", "Transfer-Encoding: chunked"),
                  method: "POST", target: "/upload", framing: .chunked),
    ValidHeadCase(name: "chunked coding name is case-insensitive",
                  raw: requestHead("POST /upload HTTP/1.1", "Host: a", "transfer-encoding: Chunked"),
                  method: "POST", target: "/upload", framing: .chunked),
    ValidHeadCase(name: "HTTP/1.0 closes by default",
                  raw: requestHead("GET / HTTP/1.0"),
                  minorVersion: 0, keepAlive: false),
    ValidHeadCase(name: "HTTP/1.0 with Connection: keep-alive stays open",
                  raw: requestHead("GET / HTTP/1.0", "Connection: keep-alive"),
                  minorVersion: 0, keepAlive: true),
    ValidHeadCase(name: "HTTP/1.0 keep-alive token is case-insensitive",
                  raw: requestHead("GET / HTTP/1.0", "Host: a", "Connection: Keep-Alive"),
                  minorVersion: 0, keepAlive: true),
    ValidHeadCase(name: "HTTP/1.0 with keep-alive and close closes",
                  raw: requestHead("GET / HTTP/1.0", "Connection: keep-alive, close"),
                  minorVersion: 0, keepAlive: false),
    ValidHeadCase(name: "HTTP/1.0 with Content-Length",
                  raw: requestHead("POST /x HTTP/1.0", "Content-Length: 3"),
                  method: "POST", target: "/x", minorVersion: 0, framing: .contentLength(3), keepAlive: false),
    ValidHeadCase(name: "HTTP/1.1 keeps alive by default",
                  raw: requestHead("GET / HTTP/1.1", "Host: a"),
                  keepAlive: true),
    ValidHeadCase(name: "HTTP/1.1 with Connection: close",
                  raw: requestHead("GET / HTTP/1.1", "Host: a", "Connection: close"),
                  keepAlive: false),
    ValidHeadCase(name: "HTTP/1.1 close token in a list, any case",
                  raw: requestHead("GET / HTTP/1.1", "Host: a", "Connection: keep-alive, Close"),
                  keepAlive: false),
    ValidHeadCase(name: "HTTP/1.1 close token in a second Connection field",
                  raw: requestHead("GET / HTTP/1.1", "Host: a", "Connection: upgrade", "Connection: close"),
                  keepAlive: false),
    ValidHeadCase(name: "HTTP/1.1 Connection token that only contains 'close' keeps alive",
                  raw: requestHead("GET / HTTP/1.1", "Host: a", "Connection: closed"),
                  keepAlive: true),
    ValidHeadCase(name: "HEAD request",
                  raw: requestHead("HEAD /health HTTP/1.1", "Host: a"),
                  method: "HEAD", target: "/health"),
    ValidHeadCase(name: "OPTIONS with asterisk-form target",
                  raw: requestHead("OPTIONS * HTTP/1.1", "Host: a"),
                  method: "OPTIONS", target: "*"),
    ValidHeadCase(name: "absolute-form target",
                  raw: requestHead("GET http://example.com/a?b=c HTTP/1.1", "Host: example.com"),
                  target: "http://example.com/a?b=c"),
    ValidHeadCase(name: "extension method made of token characters",
                  raw: requestHead("M-SEARCH! /x HTTP/1.1", "Host: a"),
                  method: "M-SEARCH!", target: "/x"),
    ValidHeadCase(name: "Expect: 100-continue with Content-Length",
                  raw: requestHead("POST /x HTTP/1.1", "Host: a", "Content-Length: 10", "Expect: 100-continue"),
                  method: "POST", target: "/x", framing: .contentLength(10), expectsContinue: true),
    ValidHeadCase(name: "Expect: 100-continue with chunked body",
                  raw: requestHead("POST /x HTTP/1.1", "Host: a", "Transfer-Encoding: chunked", "Expect: 100-continue"),
                  method: "POST", target: "/x", framing: .chunked, expectsContinue: true),
    ValidHeadCase(name: "Expect value is case-insensitive",
                  raw: requestHead("POST /x HTTP/1.1", "Host: a", "Content-Length: 1", "expect: 100-Continue"),
                  method: "POST", target: "/x", framing: .contentLength(1), expectsContinue: true),
    ValidHeadCase(name: "Expect: 100-continue without a body needs no interim response",
                  raw: requestHead("GET / HTTP/1.1", "Host: a", "Expect: 100-continue"),
                  expectsContinue: false),
    ValidHeadCase(name: "Expect is ignored in HTTP/1.0",
                  raw: requestHead("POST /x HTTP/1.0", "Content-Length: 2", "Expect: 100-continue"),
                  method: "POST", target: "/x", minorVersion: 0, framing: .contentLength(2), keepAlive: false),
    ValidHeadCase(name: "leading CRLF before the request line is tolerated",
                  raw: bytes("\r\n") + requestHead("GET / HTTP/1.1", "Host: a")),
    ValidHeadCase(name: "several leading empty lines are tolerated",
                  raw: bytes("\r\n\r\n\r\n") + requestHead("GET / HTTP/1.1", "Host: a")),
    ValidHeadCase(name: "header value whitespace is trimmed",
                  raw: requestHead("POST /x HTTP/1.1", "Host: \t a \t", "Content-Length:   12   "),
                  method: "POST", target: "/x", framing: .contentLength(12)),
    ValidHeadCase(name: "header without space after colon",
                  raw: requestHead("GET / HTTP/1.1", "Host:a", "Connection:close"),
                  keepAlive: false),
    ValidHeadCase(name: "empty header value is accepted",
                  raw: requestHead("GET / HTTP/1.1", "Host: a", "X-Empty:", "X-Blank:   ")),
    ValidHeadCase(name: "obs-text bytes in a header value are accepted",
                  raw: requestHead("GET / HTTP/1.1", "Host: a", "X-Name: café")),
    ValidHeadCase(name: "HTTP/1.0 does not require Host",
                  raw: requestHead("GET /x HTTP/1.0", "Accept: */*"),
                  target: "/x", minorVersion: 0, keepAlive: false),
    ValidHeadCase(name: "HTTP/1.0 with two Host fields is accepted",
                  raw: requestHead("GET / HTTP/1.0", "Host: a", "Host: b"),
                  minorVersion: 0, keepAlive: false),
]

@Suite("Request head parser: valid heads")
struct RequestHeadParserValidTests {
    @Test(arguments: validHeads)
    func validHeadIsParsedWithItsFramingAndConnectionSemantics(_ testCase: ValidHeadCase) throws {
        let result = parseHead(testCase.raw)
        let head = try #require(result.head, "\(describe(result))")
        #expect(head.method == testCase.method)
        #expect(head.target == testCase.target)
        #expect(head.minorVersion == testCase.minorVersion)
        #expect(head.framing == testCase.framing)
        #expect(head.keepAlive == testCase.keepAlive)
        #expect(head.expectsContinue == testCase.expectsContinue)
        #expect(result.consumed == testCase.raw.count)
    }

    @Test(arguments: validHeads)
    func bodyBytesAfterTheHeadAreNotConsumed(_ testCase: ValidHeadCase) throws {
        let result = parseHead(testCase.raw + bytes("hello world"))
        #expect(result.consumed == testCase.raw.count, "\(describe(result))")
    }

    @Test
    func duplicateHeadersArePreservedInArrivalOrder() throws {
        let raw = requestHead("GET / HTTP/1.1", "Host: a", "Accept: text/html", "X-Trace: 1",
                              "accept: application/json", "ACCEPT: */*")
        let head = try #require(parseHead(raw).head)
        #expect(head.headers.count == 5)
        #expect(head.headers.values("Accept") == ["text/html", "application/json", "*/*"])
        #expect(head.headers["accept"] == "text/html")
        let names = head.headers.map { $0.name }
        #expect(names == ["Host", "Accept", "X-Trace", "accept", "ACCEPT"])
    }

    @Test
    func headerLookupIsCaseInsensitive() throws {
        let raw = requestHead("POST /x HTTP/1.1", "Host: a", "Content-Type: application/json", "Content-Length: 2")
        let head = try #require(parseHead(raw).head)
        #expect(head.headers["content-type"] == "application/json")
        #expect(head.headers["CONTENT-TYPE"] == "application/json")
        #expect(head.headers.first("Content-type") == "application/json")
        #expect(head.headers.values("content-length") == ["2"])
        #expect(head.headers.contains("HOST"))
        #expect(head.headers["content-typ"] == nil)
        #expect(head.headers.values("x-missing").isEmpty)
    }

    @Test
    func headerValueSurroundingWhitespaceIsTrimmedButInnerWhitespaceKept() throws {
        let raw = requestHead("GET / HTTP/1.1", "Host: a", "X-Spaces: \t  one  two \t ", "X-Tight:value")
        let head = try #require(parseHead(raw).head)
        #expect(head.headers["x-spaces"] == "one  two")
        #expect(head.headers["x-tight"] == "value")
    }

    @Test
    func emptyHeaderValueIsAnEmptyString() throws {
        let raw = requestHead("GET / HTTP/1.1", "Host: a", "X-Empty:", "X-Blank: \t ")
        let head = try #require(parseHead(raw).head)
        #expect(head.headers["x-empty"] == "")
        #expect(head.headers["x-blank"] == "")
    }

    @Test
    func headerNamesAndValuesKeepTheirOriginalSpelling() throws {
        let raw = requestHead("GET / HTTP/1.1", "hOsT: Example.COM", "X-Request-ID: AbC")
        let head = try #require(parseHead(raw).head)
        let fields = head.headers.map { "\($0.name)=\($0.value)" }
        #expect(fields == ["hOsT=Example.COM", "X-Request-ID=AbC"])
    }

    @Test
    func methodIsCaseSensitiveAndKeptAsSent() throws {
        let head = try #require(parseHead(requestHead("get / HTTP/1.1", "Host: a")).head)
        #expect(head.method == "get")
        #expect(!head.isHead)
        let headRequest = try #require(parseHead(requestHead("HEAD / HTTP/1.1", "Host: a")).head)
        #expect(headRequest.isHead)
    }

    @Test
    func pathIsTheTargetWithoutItsQuery() throws {
        let head = try #require(parseHead(requestHead("GET /v1/models?x=1?y=2 HTTP/1.1", "Host: a")).head)
        #expect(head.path == "/v1/models")
        let noQuery = try #require(parseHead(requestHead("GET /v1/models HTTP/1.1", "Host: a")).head)
        #expect(noQuery.path == "/v1/models")
        let onlyQuery = try #require(parseHead(requestHead("GET ?x HTTP/1.1", "Host: a")).head)
        #expect(onlyQuery.path == "")
    }

    @Test
    func consumedCountsLeadingEmptyLines() throws {
        let request = requestHead("GET / HTTP/1.1", "Host: a")
        let result = parseHead(bytes("\r\n\r\n") + request)
        #expect(result.consumed == request.count + 4)
    }

    @Test
    func headExactlyAtTheSizeLimitIsAccepted() throws {
        let base = requestHead("GET / HTTP/1.1", "Host: a", "X-Pad: ")
        let limit = 64
        let raw = requestHead("GET / HTTP/1.1", "Host: a", "X-Pad: " + String(repeating: "p", count: limit - base.count))
        #expect(raw.count == limit)
        let result = parseHead(raw, limits: HTTPParserLimits(maxHeadBytes: limit))
        #expect(result.consumed == limit, "\(describe(result))")
    }

    @Test
    func leadingEmptyLinesDoNotCountTowardsTheHeadLimit() throws {
        let request = requestHead("GET / HTTP/1.1", "Host: a")
        let result = parseHead(bytes("\r\n\r\n") + request, limits: HTTPParserLimits(maxHeadBytes: request.count))
        #expect(result.consumed == request.count + 4, "\(describe(result))")
    }

    @Test
    func exactlyMaxHeaderCountFieldsAreAccepted() throws {
        let raw = requestHead("GET / HTTP/1.1", "Host: a", "X-1: 1", "X-2: 2")
        let result = parseHead(raw, limits: HTTPParserLimits(maxHeaderCount: 3))
        let head = try #require(result.head, "\(describe(result))")
        #expect(head.headers.count == 3)
    }

    @Test
    func thirtyTwoLeadingEmptyLinesAreStillTolerated() throws {
        let raw = bytes(String(repeating: "\r\n", count: 32)) + requestHead("GET / HTTP/1.1", "Host: a")
        #expect(parseHead(raw).consumed == raw.count)
    }
}
