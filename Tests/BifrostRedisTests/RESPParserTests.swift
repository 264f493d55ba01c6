import BifrostPluginKit
@testable import BifrostRedis
import Testing

@Suite("RESP parser and encoder")
struct RESPParserTests {
    /// A stream of replies covering every type, nesting, nulls, errors and bulk strings holding CR LF.
    static let stream = Array(("+OK\r\n-ERR wrong type\r\n:42\r\n:-7\r\n$5\r\nhello\r\n$0\r\n\r\n$-1\r\n*-1\r\n*0\r\n"
        + "$4\r\na\r\nb\r\n"
        + "*3\r\n:1\r\n*2\r\n$3\r\nfoo\r\n*1\r\n$-1\r\n-NOSCRIPT No matching script\r\n"
        + "*2\r\n*0\r\n*1\r\n*1\r\n+deep\r\n").utf8)

    static let expected: [RESPValue] = [
        .simple("OK"), .error("ERR wrong type"), .integer(42), .integer(-7), .bulk(Array("hello".utf8)), .bulk([]),
        .bulk(nil), .array(nil), .array([]), .bulk(Array("a\r\nb".utf8)),
        .array([.integer(1), .array([.bulk(Array("foo".utf8)), .array([.bulk(nil)])]), .error("NOSCRIPT No matching script")]),
        .array([.array([]), .array([.array([.simple("deep")])])]),
    ]

    private func drain(_ parser: inout RESPParser) throws -> [RESPValue] {
        var values: [RESPValue] = []
        while case .value(let value) = try parser.next() { values.append(value) }
        return values
    }

    @Test func wholeStreamParsesInOrder() throws {
        var parser = RESPParser()
        parser.feed(Self.stream)
        #expect(try drain(&parser) == Self.expected)
        #expect(parser.isIdle)
    }

    @Test func byteByByteGivesTheSameReplies() throws {
        var parser = RESPParser()
        var values: [RESPValue] = []
        for byte in Self.stream {
            parser.feed([byte])
            values += try drain(&parser)
        }
        #expect(values == Self.expected)
        #expect(parser.isIdle)
    }

    @Test(arguments: [2, 3, 7, 13, 64])
    func anySplitGivesTheSameReplies(_ size: Int) throws {
        var parser = RESPParser()
        var values: [RESPValue] = []
        var start = 0
        while start < Self.stream.count {
            parser.feed(Self.stream[start..<min(start + size, Self.stream.count)])
            values += try drain(&parser)
            start += size
        }
        #expect(values == Self.expected)
    }

    @Test func incompleteReplyWaitsWithoutLosingBytes() throws {
        var parser = RESPParser()
        parser.feed(Array("*2\r\n$3\r\nab".utf8))
        #expect(try parser.next() == .incomplete)
        #expect(!parser.isIdle)
        parser.feed(Array("c\r\n:5\r\n".utf8))
        #expect(try parser.next() == .value(.array([.bulk(Array("abc".utf8)), .integer(5)])))
        #expect(try parser.next() == .incomplete)
    }

    @Test func largeBulkAcrossManyFeeds() throws {
        let payload = [UInt8](repeating: 0x61, count: 200_000)
        var bytes = Array("$\(payload.count)\r\n".utf8) + payload + [13, 10]
        bytes += Array("+after\r\n".utf8)
        var parser = RESPParser()
        var values: [RESPValue] = []
        var start = 0
        while start < bytes.count {
            parser.feed(bytes[start..<min(start + 4096, bytes.count)])
            values += try drain(&parser)
            start += 4096
        }
        #expect(values == [.bulk(payload), .simple("after")])
    }

    @Test(arguments: ["?what\r\n", ":12a\r\n", "$3\r\nabcd\r\n", "+OK\rX", "$-5\r\n", "*-3\r\n", ":\r\n",
                      ":99999999999999999999999\r\n"])
    func protocolViolationsThrow(_ text: String) {
        var parser = RESPParser()
        parser.feed(Array(text.utf8))
        #expect(throws: RedisError.self) { _ = try parser.next() }
    }

    @Test func nestingBeyondTheLimitThrows() {
        var parser = RESPParser()
        parser.feed(Array(String(repeating: "*1\r\n", count: RESPParser.maxDepth + 1).utf8))
        #expect(throws: RedisError.self) { _ = try parser.next() }
    }

    @Test func encoderWritesArraysOfBulkStrings() throws {
        #expect(RESPEncoder.encode(["SET", "key", "a\r\nb"]) == Array("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$4\r\na\r\nb\r\n".utf8))
        #expect(RESPEncoder.encode(["PING"]) == Array("*1\r\n$4\r\nPING\r\n".utf8))
        var buffer: [UInt8] = []
        RESPEncoder.encode([[], [0, 255]], into: &buffer)
        #expect(buffer == Array("*2\r\n$0\r\n\r\n$2\r\n".utf8) + [0, 255, 13, 10])
        var round = RESPParser()
        round.feed(RESPEncoder.encode(["GET", "x"]))
        #expect(try round.next() == .value(.array([.bulk(Array("GET".utf8)), .bulk(Array("x".utf8))])))
    }

    @Test func valueAccessors() {
        #expect(RESPValue.bulk(Array("12".utf8)).int == 12)
        #expect(RESPValue.simple("OK").string == "OK")
        #expect(RESPValue.integer(3).int == 3)
        #expect(RESPValue.bulk(nil).string == nil)
    }
}

@Suite("Redis URLs")
struct RedisURLTests {
    @Test func hostPortAndDefaults() throws {
        let plain = try RedisURL("redis://127.0.0.1")
        #expect(plain == RedisURL(host: "127.0.0.1", port: 6379))
        #expect(try RedisURL("redis://cache.internal:6380/") == RedisURL(host: "cache.internal", port: 6380))
        #expect(try RedisURL("redis://[::1]:7000/2") == RedisURL(host: "::1", port: 7000, database: 2))
        #expect(try RedisURL("redis://[::1]:7000").endpoint == "[::1]:7000")
    }

    @Test func credentialsAndDatabase() throws {
        #expect(try RedisURL("redis://:s3cret@h:1/4") == RedisURL(host: "h", port: 1, password: "s3cret", database: 4))
        #expect(try RedisURL("redis://alice:p%40ss%3A@h:2") == RedisURL(host: "h", port: 2, user: "alice", password: "p@ss:"))
        #expect(try RedisURL("redis://lonely@h") == RedisURL(host: "h", password: "lonely"))
        #expect(try RedisURL("redis://h:3/5?timeout=1") == RedisURL(host: "h", port: 3, database: 5))
    }

    @Test(arguments: ["http://h:1", "rediss://h:1", "redis://", "redis://h:abc", "redis://h:0", "redis://h:1/x",
                      "redis://[::1", "redis://:%zz@h"])
    func invalidURLsAreRejectedWithAReason(_ text: String) {
        #expect(throws: RedisError.self) { _ = try RedisURL(text) }
    }
}
