@testable import BifrostHTTP
import Testing

/// A chunked body the decoder must accept, and the data it carries.
struct ValidChunkedCase: Sendable, CustomTestStringConvertible {
    let name: String
    let encoded: [UInt8]
    let body: String
    var testDescription: String { name }
}

let validChunkedBodies: [ValidChunkedCase] = [
    ValidChunkedCase(name: "single chunk", encoded: bytes("5\r\nhello\r\n0\r\n\r\n"), body: "hello"),
    ValidChunkedCase(name: "several chunks", encoded: bytes("5\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\n\r\n"),
                     body: "hello world"),
    ValidChunkedCase(name: "empty body", encoded: bytes("0\r\n\r\n"), body: ""),
    ValidChunkedCase(name: "uppercase and lowercase hex sizes",
                     encoded: bytes("A\r\n0123456789\r\na\r\nabcdefghij\r\n0\r\n\r\n"),
                     body: "0123456789abcdefghij"),
    ValidChunkedCase(name: "size with leading zeros", encoded: bytes("0005\r\nhello\r\n000\r\n\r\n"), body: "hello"),
    ValidChunkedCase(name: "sixteen hex digits", encoded: bytes("0000000000000005\r\nhello\r\n0\r\n\r\n"), body: "hello"),
    ValidChunkedCase(name: "chunk extension", encoded: bytes("5;name=value\r\nhello\r\n0\r\n\r\n"), body: "hello"),
    ValidChunkedCase(name: "several extensions and quoted value",
                     encoded: bytes("5;a=1;b=\"x y\";flag\r\nhello\r\n0;last=yes\r\n\r\n"), body: "hello"),
    ValidChunkedCase(name: "whitespace before the extension",
                     encoded: bytes("5 ;a=b\r\nhello\r\n0\t;c\r\n\r\n"), body: "hello"),
    ValidChunkedCase(name: "one trailer field", encoded: bytes("5\r\nhello\r\n0\r\nX-Checksum: abc\r\n\r\n"),
                     body: "hello"),
    ValidChunkedCase(name: "several trailer fields",
                     encoded: bytes("5\r\nhello\r\n0\r\nX-A: 1\r\nX-B:\t2 \r\n\r\n"), body: "hello"),
    ValidChunkedCase(name: "data containing CRLF and hex-looking bytes",
                     encoded: bytes("6\r\n\r\n0\r\n\r\r\n0\r\n\r\n"), body: "\r\n0\r\n\r"),
]

@Suite("Chunked body decoder")
struct ChunkedBodyDecoderTests {
    @Test(arguments: validChunkedBodies)
    func validBodyDecodedInOneCall(_ testCase: ValidChunkedCase) throws {
        var decoder = ChunkedBodyDecoder()
        var body: [UInt8] = []
        let progress = try decoder.decode(testCase.encoded, into: &body)
        #expect(progress == .done(consumed: testCase.encoded.count))
        #expect(body == bytes(testCase.body))
    }

    @Test(arguments: validChunkedBodies)
    func validBodyFedOneByteAtATimeFinishesOnTheLastByte(_ testCase: ValidChunkedCase) throws {
        var decoder = ChunkedBodyDecoder()
        var body: [UInt8] = []
        for (index, byte) in testCase.encoded.enumerated() {
            let progress = try decoder.decode([byte], into: &body)
            if index < testCase.encoded.count - 1 {
                #expect(progress == .needMore, "byte \(index)")
            } else {
                #expect(progress == .done(consumed: 1))
            }
        }
        #expect(body == bytes(testCase.body))
    }

    @Test(arguments: validChunkedBodies)
    func validBodySplitAcrossTwoCallsAtAnyPointDecodesTheSame(_ testCase: ValidChunkedCase) throws {
        let encoded = testCase.encoded
        for split in 1..<encoded.count {
            var decoder = ChunkedBodyDecoder()
            var body: [UInt8] = []
            #expect(try decoder.decode(Array(encoded[..<split]), into: &body) == .needMore, "split at \(split)")
            let rest = Array(encoded[split...])
            #expect(try decoder.decode(rest, into: &body) == .done(consumed: rest.count), "split at \(split)")
            #expect(body == bytes(testCase.body), "split at \(split)")
        }
    }

    @Test(arguments: validChunkedBodies)
    func doneLeavesTheBytesOfTheNextRequestUnconsumed(_ testCase: ValidChunkedCase) throws {
        let next = bytes("GET /next HTTP/1.1\r\nHost: a\r\n\r\n")
        var decoder = ChunkedBodyDecoder()
        var body: [UInt8] = []
        let progress = try decoder.decode(testCase.encoded + next, into: &body)
        #expect(progress == .done(consumed: testCase.encoded.count))
        #expect(body == bytes(testCase.body))
    }

    @Test
    func bodySplitAcrossCallsWithTheNextRequestInTheLastCall() throws {
        var decoder = ChunkedBodyDecoder()
        var body: [UInt8] = []
        #expect(try decoder.decode(bytes("b\r\nhello"), into: &body) == .needMore)
        #expect(body == bytes("hello"))
        #expect(try decoder.decode(bytes(" wor"), into: &body) == .needMore)
        #expect(try decoder.decode(bytes("ld\r\n0\r\n"), into: &body) == .needMore)
        let last = bytes("\r\nPOST / HTTP/1.1\r\n")
        #expect(try decoder.decode(last, into: &body) == .done(consumed: 2))
        #expect(body == bytes("hello world"))
    }

    @Test
    func decoderThatIsDoneConsumesNothingMore() throws {
        var decoder = ChunkedBodyDecoder()
        var body: [UInt8] = []
        #expect(try decoder.decode(bytes("0\r\n\r\n"), into: &body) == .done(consumed: 5))
        #expect(try decoder.decode(bytes("5\r\nhello\r\n"), into: &body) == .done(consumed: 0))
        #expect(body.isEmpty)
    }

    @Test
    func bodyExactlyAtMaxBodyBytesIsAccepted() throws {
        var decoder = ChunkedBodyDecoder()
        var body: [UInt8] = []
        let encoded = bytes("3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
        let progress = try decoder.decode(encoded, into: &body, maxBodyBytes: 5)
        #expect(progress == .done(consumed: encoded.count))
        #expect(body == bytes("abcde"))
    }

    @Test
    func trailerSectionExactlyAtTheLimitIsAccepted() throws {
        // The trailer section "X: y\r\n\r\n" is 8 bytes long.
        var decoder = ChunkedBodyDecoder(maxTrailerBytes: 8)
        var body: [UInt8] = []
        #expect(try decoder.decode(bytes("0\r\nX: y\r\n\r\n"), into: &body) == .done(consumed: 11))
    }

    // MARK: Errors

    @Test(arguments: [
        ("letters", "xyz\r\n"),
        ("empty size line", "\r\n"),
        ("negative size", "-5\r\nhello\r\n"),
        ("0x prefix", "0x5\r\nhello\r\n"),
        ("non-hex after digits", "5g\r\nhello\r\n"),
        ("size followed by a space", " 5\r\nhello\r\n"),
        ("bad second chunk size", "5\r\nhello\r\nzz\r\n"),
    ])
    func invalidHexChunkSizeIsRejectedWith400(_ name: String, _ encoded: String) throws {
        let error = try #require(chunkedError(bytes(encoded)), "\(name)")
        #expect(error.status.code == 400)
        #expect(error.code == "invalid_chunked_body")
    }

    @Test(arguments: [
        ("other byte instead of CR", "5\r\nhelloX\r\n0\r\n\r\n"),
        ("bare LF after data", "5\r\nhello\n0\r\n\r\n"),
        ("CR without LF after data", "5\r\nhello\rX0\r\n\r\n"),
        ("data longer than the size", "3\r\nhello\r\n0\r\n\r\n"),
    ])
    func missingCRLFAfterChunkDataIsRejectedWith400(_ name: String, _ encoded: String) throws {
        let error = try #require(chunkedError(bytes(encoded)), "\(name)")
        #expect(error.status.code == 400)
        #expect(error.code == "invalid_chunked_body")
    }

    @Test(arguments: [
        ("bare LF after size", "5\nhello\r\n0\r\n\r\n"),
        ("CR without LF after size", "5\rhello\r\n0\r\n\r\n"),
        ("bare LF after extension", "5;a=b\nhello\r\n0\r\n\r\n"),
        ("control byte in extension", "5;a=\u{01}\r\nhello\r\n0\r\n\r\n"),
        ("NUL in extension", "5;a\u{00}\r\nhello\r\n0\r\n\r\n"),
        ("text after the size without a semicolon", "5 garbage\r\nhello\r\n0\r\n\r\n"),
    ])
    func malformedChunkSizeLineIsRejectedWith400(_ name: String, _ encoded: String) throws {
        let error = try #require(chunkedError(bytes(encoded)), "\(name)")
        #expect(error.status.code == 400)
        #expect(error.code == "invalid_chunked_body")
    }

    @Test(arguments: [
        ("trailer line starting with a space", "0\r\n X: y\r\n\r\n"),
        ("trailer line starting with a colon", "0\r\n: y\r\n\r\n"),
        ("bare LF after a trailer", "0\r\nX: y\n\r\n"),
        ("bare LF as the final line", "0\r\n\n"),
        ("CR without LF as the final line", "0\r\n\rX"),
        ("control byte in a trailer", "0\r\nX: \u{01}\r\n\r\n"),
        ("trailer line without a colon", "0\r\nNoColon\r\n\r\n"),
    ])
    func malformedTrailerIsRejectedWith400(_ name: String, _ encoded: String) throws {
        let error = try #require(chunkedError(bytes(encoded)), "\(name)")
        #expect(error.status.code == 400)
        #expect(error.code == "invalid_chunked_body")
    }

    @Test
    func chunkSizeWithMoreThanSixteenHexDigitsIsRejected() throws {
        let error = try #require(chunkedError(bytes("00000000000000005\r\nhello\r\n0\r\n\r\n")))
        #expect(error.status.code == 400)
        #expect(error.code == "invalid_chunked_body")
        let huge = try #require(chunkedError(bytes("1" + String(repeating: "0", count: 40) + "\r\n")))
        #expect(huge.code == "invalid_chunked_body")
    }

    @Test
    func maximalSixteenDigitChunkSizeIsRejectedAsTooLargeWithoutOverflow() throws {
        let error = try #require(chunkedError(bytes("FFFFFFFFFFFFFFFF\r\nhello")))
        #expect(error.status.code == 413)
        #expect(error.code == "body_too_large")
    }

    @Test
    func singleChunkOverMaxBodyBytesIsRejectedWith413() throws {
        let error = try #require(chunkedError(bytes("6\r\nhello!\r\n0\r\n\r\n"), maxBodyBytes: 5))
        #expect(error.status.code == 413)
        #expect(error.code == "body_too_large")
        #expect(error.message.contains("5"))
    }

    @Test
    func bodyOverMaxBodyBytesAcrossChunksIsRejectedWith413BeforeTheDataArrives() throws {
        var decoder = ChunkedBodyDecoder()
        var body: [UInt8] = []
        #expect(try decoder.decode(bytes("3\r\nabc\r\n"), into: &body, maxBodyBytes: 5) == .needMore)
        do {
            _ = try decoder.decode(bytes("3\r\n"), into: &body, maxBodyBytes: 5)
            Issue.record("expected body_too_large")
        } catch let error as HTTPRequestError {
            #expect(error.status.code == 413)
            #expect(error.code == "body_too_large")
        }
        #expect(body == bytes("abc"))
    }

    @Test
    func trailerSectionOverTheLimitIsRejectedWith431() throws {
        let decoder = ChunkedBodyDecoder(maxTrailerBytes: 16)
        let error = try #require(chunkedError(bytes("5\r\nhello\r\n0\r\nX-Long: 0123456789abcdef\r\n\r\n"),
                                              decoder: decoder))
        #expect(error.status.code == 431)
        #expect(error.code == "header_too_large")
    }

    @Test
    func manySmallTrailersOverTheLimitAreRejectedWith431() throws {
        let trailers = (1...20).map { "X-\($0): v\r\n" }.joined()
        let error = try #require(chunkedError(bytes("0\r\n" + trailers + "\r\n"),
                                              decoder: ChunkedBodyDecoder(maxTrailerBytes: 64)))
        #expect(error.status.code == 431)
        #expect(error.code == "header_too_large")
    }

    @Test
    func chunkExtensionLongerThanTheLineLimitIsRejected() throws {
        let decoder = ChunkedBodyDecoder(maxLineBytes: 16)
        let error = try #require(chunkedError(bytes("5;" + String(repeating: "x", count: 32) + "\r\nhello\r\n"),
                                              decoder: decoder))
        #expect(error.status.code == 400)
        #expect(error.code == "invalid_chunked_body")
        #expect(chunkedError(bytes("5;" + String(repeating: "x", count: 8) + "\r\nhello\r\n0\r\n\r\n"),
                             decoder: decoder) == nil)
    }

    struct ErrorCase: Sendable, CustomTestStringConvertible {
        let name: String
        let encoded: String
        let status: Int
        let code: String
        var testDescription: String { name }
    }

    @Test(arguments: [
        ErrorCase(name: "invalid hex", encoded: "5\r\nhello\r\nzz\r\n", status: 400, code: "invalid_chunked_body"),
        ErrorCase(name: "missing CRLF after data", encoded: "5\r\nhelloX", status: 400, code: "invalid_chunked_body"),
        ErrorCase(name: "seventeen hex digits", encoded: "00000000000000005\r\n", status: 400,
                  code: "invalid_chunked_body"),
        ErrorCase(name: "body too large", encoded: "3\r\nabc\r\n3\r\ndef\r\n", status: 413, code: "body_too_large"),
        ErrorCase(name: "trailer too large", encoded: "0\r\n" + String(repeating: "X-T: v\r\n", count: 4000) + "\r\n",
                  status: 431, code: "header_too_large"),
    ])
    func errorsAreDetectedWhenFedOneByteAtATime(_ testCase: ErrorCase) {
        let (name, status, code) = (testCase.name, testCase.status, testCase.code)
        var decoder = ChunkedBodyDecoder()
        var body: [UInt8] = []
        for byte in bytes(testCase.encoded) {
            do {
                _ = try decoder.decode([byte], into: &body, maxBodyBytes: 5)
            } catch let error as HTTPRequestError {
                #expect(error.status.code == status, "\(name)")
                #expect(error.code == code, "\(name)")
                return
            } catch {
                Issue.record("unexpected error \(error)")
                return
            }
        }
        Issue.record("\(name): no error was thrown")
    }
}
