@testable import BifrostHTTP
import Testing

@Suite("Request head parser: incremental and pipelined input")
struct RequestHeadParserIncrementalTests {
    @Test(arguments: validHeads)
    func validHeadFedOneByteAtATimeCompletesOnlyOnTheLastByte(_ testCase: ValidHeadCase) throws {
        var parser = HTTPRequestHeadParser()
        let raw = testCase.raw
        for length in 1..<raw.count {
            let result = parser.parse(raw[0..<length])
            guard result.isIncomplete else {
                Issue.record("prefix of \(length)/\(raw.count) bytes gave \(describe(result))")
                return
            }
        }
        let result = parser.parse(raw)
        let head = try #require(result.head, "\(describe(result))")
        #expect(result.consumed == raw.count)
        #expect(head.method == testCase.method)
        #expect(head.target == testCase.target)
        #expect(head.framing == testCase.framing)
        #expect(head.keepAlive == testCase.keepAlive)
        #expect(head.expectsContinue == testCase.expectsContinue)
    }

    @Test(arguments: validHeads)
    func validHeadSplitInTwoAtAnyPointParsesTheSame(_ testCase: ValidHeadCase) throws {
        let raw = testCase.raw
        for split in 1..<raw.count {
            var parser = HTTPRequestHeadParser()
            #expect(parser.parse(raw[0..<split]).isIncomplete, "split at \(split)")
            let result = parser.parse(raw + bytes("BODY"))
            #expect(result.consumed == raw.count, "split at \(split): \(describe(result))")
            #expect(result.head?.framing == testCase.framing)
        }
    }

    @Test
    func pipelinedRequestsAreParsedOneAfterTheOther() throws {
        let first = requestHead("GET /first HTTP/1.1", "Host: a")
        let second = requestHead("POST /second HTTP/1.1", "Host: a", "Content-Length: 5")
        let stream = first + second + bytes("hello")

        var parser = HTTPRequestHeadParser()
        let firstResult = parser.parse(stream)
        let firstHead = try #require(firstResult.head)
        #expect(firstHead.target == "/first")
        let consumed = try #require(firstResult.consumed)
        #expect(consumed == first.count)

        parser.reset()
        let secondResult = parser.parse(stream[consumed...])
        let secondHead = try #require(secondResult.head, "\(describe(secondResult))")
        #expect(secondHead.method == "POST")
        #expect(secondHead.target == "/second")
        #expect(secondHead.framing == .contentLength(5))
        #expect(secondResult.consumed == second.count)
    }

    @Test
    func pipelinedRequestAfterABodyStartsAfterTheBody() throws {
        let first = requestHead("POST /a HTTP/1.1", "Host: a", "Content-Length: 5")
        let second = requestHead("GET /b HTTP/1.1", "Host: a")
        let stream = first + bytes("hello") + second

        var parser = HTTPRequestHeadParser()
        let firstResult = parser.parse(stream)
        #expect(firstResult.consumed == first.count)
        #expect(firstResult.head?.framing == .contentLength(5))

        parser.reset()
        let secondResult = parser.parse(stream[(first.count + 5)...])
        #expect(secondResult.head?.target == "/b")
        #expect(secondResult.consumed == second.count)
    }

    @Test
    func pipelinedRequestsFedOneByteAtATimeCompleteAtTheEndOfTheFirstHead() throws {
        let first = requestHead("GET /first HTTP/1.1", "Host: a")
        let second = requestHead("GET /second HTTP/1.1", "Host: a", "Connection: close")
        let stream = first + second

        var parser = HTTPRequestHeadParser()
        var offset = 0
        var heads: [HTTPRequestHead] = []
        var length = 1
        // Simulates a connection: grow the unconsumed window by one byte, drop what was consumed.
        while offset + length <= stream.count {
            let result = parser.parse(stream[offset..<(offset + length)])
            switch result {
            case .incomplete:
                length += 1
            case .complete(let head, let consumed):
                heads.append(head)
                offset += consumed
                length = 1
                parser.reset()
            case .invalid(let error):
                Issue.record("unexpected error \(error)")
                return
            }
        }
        #expect(offset == stream.count)
        #expect(heads.map(\.target) == ["/first", "/second"])
        #expect(heads.map(\.keepAlive) == [true, false])
    }

    @Test
    func pipelinedBytesDoNotChangeWhereTheFirstHeadEnds() throws {
        let first = requestHead("GET /first HTTP/1.1", "Host: a")
        let stream = first + requestHead("GET /second HTTP/1.1", "Host: a")
        let (result, prefixLength) = parseOneByteAtATime(stream)
        #expect(prefixLength == first.count)
        #expect(result.consumed == first.count)
        #expect(result.head?.target == "/first")
    }

    @Test
    func resetParserCanParseAnUnrelatedShorterRequest() throws {
        let long = requestHead("GET /a-rather-long-target-to-advance-the-scan HTTP/1.1", "Host: a")
        let short = requestHead("GET /s HTTP/1.1", "Host: b")
        var parser = HTTPRequestHeadParser()
        // Leave the parser mid-way through a long head, then start over on another buffer.
        #expect(parser.parse(long[0..<(long.count - 1)]).isIncomplete)
        parser.reset()
        let result = parser.parse(short)
        #expect(result.head?.target == "/s")
        #expect(result.consumed == short.count)
    }

    @Test
    func emptyAndEmptyLineOnlyInputIsIncomplete() {
        #expect(parseHead([]).isIncomplete)
        #expect(parseHead(bytes("\r")).isIncomplete)
        #expect(parseHead(bytes("\r\n")).isIncomplete)
        #expect(parseHead(bytes("\r\n\r\n")).isIncomplete)
        #expect(parseHead(bytes("GET / HTTP/1.1\r\nHost: a\r\n")).isIncomplete)
        #expect(parseHead(bytes("GET / HTTP/1.1\r\nHost: a\r\n\r")).isIncomplete)
    }
}
