@testable import BifrostProviders
import Testing

@Suite("AWS event-stream framing")
struct AWSEventStreamTests {
    /// Builds one frame the way AWS does: string headers (type 7), payload, both CRCs.
    static func frame(_ headers: [(String, String)], _ payload: String) -> [UInt8] {
        var headerBytes: [UInt8] = []
        for (name, value) in headers {
            headerBytes.append(UInt8(name.utf8.count))
            headerBytes += Array(name.utf8)
            headerBytes.append(7)
            headerBytes += [UInt8(value.utf8.count >> 8), UInt8(value.utf8.count & 0xFF)]
            headerBytes += Array(value.utf8)
        }
        let total = 12 + headerBytes.count + payload.utf8.count + 4
        var bytes = be(UInt32(total)) + be(UInt32(headerBytes.count))
        bytes += be(AWSEventStreamDecoder.crc32(bytes[...]))
        bytes += headerBytes + Array(payload.utf8)
        bytes += be(AWSEventStreamDecoder.crc32(bytes[...]))
        return bytes
    }

    static func be(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    private let start = frame([(":event-type", "messageStart"), (":content-type", "application/json"), (":message-type", "event")],
                              #"{"role":"assistant"}"#)
    private let delta = frame([(":event-type", "contentBlockDelta"), (":message-type", "event")],
                              #"{"contentBlockIndex":0,"delta":{"text":"Hi"}}"#)

    @Test func framesAreDecodedWhatEverTheChunking() throws {
        let stream = start + delta
        for chunkSize in [1, 3, 7, 16, stream.count] {
            var decoder = AWSEventStreamDecoder()
            var messages: [AWSEventMessage] = []
            var index = 0
            while index < stream.count {
                messages += try decoder.feed(Array(stream[index..<min(index + chunkSize, stream.count)]))
                index += chunkSize
            }
            #expect(messages.map(\.type) == ["messageStart", "contentBlockDelta"], "chunk size \(chunkSize)")
            #expect(messages.first?.messageType == "event")
            #expect(String(decoding: messages.last!.payload, as: UTF8.self) == #"{"contentBlockIndex":0,"delta":{"text":"Hi"}}"#)
            #expect(!decoder.hasPartialFrame)
        }
    }

    @Test func framesAreDecodedWhenSplitInTwoAtEveryOffset() throws {
        let stream = start + delta
        for offset in 0...stream.count {
            var decoder = AWSEventStreamDecoder()
            let messages = try decoder.feed(Array(stream[..<offset])) + decoder.feed(Array(stream[offset...]))
            #expect(messages.map(\.type) == ["messageStart", "contentBlockDelta"], "split at \(offset)")
            #expect(!decoder.hasPartialFrame)
        }
    }

    @Test func exceptionsCarryTheirType() throws {
        var decoder = AWSEventStreamDecoder()
        let frame = Self.frame([(":exception-type", "throttlingException"), (":message-type", "exception")], #"{"message":"slow down"}"#)
        let message = try #require(try decoder.feed(frame).first)
        #expect(message.messageType == "exception")
        #expect(message.type == "throttlingException")
    }

    @Test(arguments: [(9, "event stream prelude checksum mismatch"), (40, "event stream message checksum mismatch")])
    func corruptedFramesAreErrors(_ offset: Int, _ message: String) {
        var corrupted = start
        corrupted[offset] ^= 0xFF
        var decoder = AWSEventStreamDecoder()
        #expect(throws: AWSEventStreamDecoder.FramingError(description: message)) { try decoder.feed(corrupted) }
    }

    @Test func impossibleLengthsAreErrorsNotCrashes() {
        var bytes = Self.be(UInt32.max) + Self.be(4)
        bytes += Self.be(AWSEventStreamDecoder.crc32(bytes[...]))
        var decoder = AWSEventStreamDecoder()
        #expect(throws: AWSEventStreamDecoder.FramingError.self) { try decoder.feed(bytes) }
    }

    @Test func aCutStreamLeavesAPartialFrame() throws {
        var decoder = AWSEventStreamDecoder()
        _ = try decoder.feed(Array(start.prefix(20)))
        #expect(decoder.hasPartialFrame)
    }
}
