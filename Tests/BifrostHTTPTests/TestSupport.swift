@testable import BifrostHTTP
import Testing

// Small helpers shared by the parser and decoder tests.

/// A request head built from its lines: joined with CRLF and ended by the empty line.
func requestHead(_ lines: String...) -> [UInt8] {
    Array((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8)
}

/// The UTF-8 bytes of `text`, written with explicit `\r\n` where CRLF is meant.
func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

extension HTTPRequestHeadParser {
    /// Parses `bytes` (convenience over the raw-buffer entry point).
    mutating func parse(_ bytes: [UInt8]) -> HTTPHeadParseResult {
        bytes.withUnsafeBytes { parse($0) }
    }

    mutating func parse(_ bytes: ArraySlice<UInt8>) -> HTTPHeadParseResult {
        bytes.withUnsafeBytes { parse($0) }
    }
}

/// One parse of `bytes` with a fresh parser.
func parseHead(_ bytes: [UInt8], limits: HTTPParserLimits = HTTPParserLimits()) -> HTTPHeadParseResult {
    var parser = HTTPRequestHeadParser(limits: limits)
    return parser.parse(bytes)
}

extension HTTPHeadParseResult {
    var isIncomplete: Bool {
        if case .incomplete = self { true } else { false }
    }

    var head: HTTPRequestHead? {
        if case .complete(let head, _) = self { head } else { nil }
    }

    var consumed: Int? {
        if case .complete(_, let consumed) = self { consumed } else { nil }
    }

    var error: HTTPRequestError? {
        if case .invalid(let error) = self { error } else { nil }
    }
}

/// Feeds growing prefixes of `bytes` (one more byte each time) to one parser and returns the first
/// result that is not `.incomplete` together with the prefix length that produced it.
func parseOneByteAtATime(_ bytes: [UInt8], limits: HTTPParserLimits = HTTPParserLimits())
    -> (result: HTTPHeadParseResult, prefixLength: Int)
{
    var parser = HTTPRequestHeadParser(limits: limits)
    for length in 1...bytes.count {
        let result = parser.parse(bytes[0..<length])
        if !result.isIncomplete { return (result, length) }
    }
    return (.incomplete, bytes.count)
}

/// Checks that `result` is `.invalid` with the given status code and error code.
func expectRejected(_ result: HTTPHeadParseResult, status: Int, code: String,
                    sourceLocation: SourceLocation = #_sourceLocation)
{
    guard let error = result.error else {
        Issue.record("expected \(status) \(code), got \(describe(result))", sourceLocation: sourceLocation)
        return
    }
    #expect(error.status.code == status, "\(error)", sourceLocation: sourceLocation)
    #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
}

func describe(_ result: HTTPHeadParseResult) -> String {
    switch result {
    case .incomplete: "incomplete"
    case .complete(let head, let consumed):
        "complete(\(head.method) \(head.target) HTTP/1.\(head.minorVersion), consumed: \(consumed))"
    case .invalid(let error): "invalid(\(error))"
    }
}

extension ChunkedBodyDecoder {
    mutating func decode(_ bytes: [UInt8], into body: inout [UInt8],
                         maxBodyBytes: Int = 1 << 20) throws -> Progress
    {
        try bytes.withUnsafeBytes { try decode($0, into: &body, maxBodyBytes: maxBodyBytes) }
    }
}

/// Decodes `bytes` in one call; returns the error thrown, or nil if none was.
func chunkedError(_ bytes: [UInt8], maxBodyBytes: Int = 1 << 20,
                  decoder: ChunkedBodyDecoder = ChunkedBodyDecoder()) -> HTTPRequestError?
{
    var decoder = decoder
    var body: [UInt8] = []
    do {
        _ = try decoder.decode(bytes, into: &body, maxBodyBytes: maxBodyBytes)
        return nil
    } catch let error as HTTPRequestError {
        return error
    } catch {
        Issue.record("unexpected error type: \(error)")
        return nil
    }
}
