import BifrostIO
import Testing

@Suite("Byte appending")
struct ByteAppendingTests {
    @Test(arguments: [0, 7, 10, 99, 1024, 65_535, -1, -250, Int.max, Int.min])
    func decimalMatchesTheStringForm(_ value: Int) {
        var bytes: [UInt8] = Array("x=".utf8)
        bytes.appendDecimal(value)
        #expect(String(decoding: bytes, as: UTF8.self) == "x=\(value)")
    }

    @Test(arguments: ["", "GET", "a header value longer than fifteen bytes", "Zürich 日本 🚀", String(repeating: "x", count: 4096)])
    func utf8BytesAreAppendedAsTheyAre(_ text: String) {
        var bytes: [UInt8] = [0x2A]
        bytes.appendUTF8(text)
        #expect(bytes == [0x2A] + Array(text.utf8))
    }

    @Test(arguments: [0, 7, 10, 99, 1024, 65_535, -1, -250, Int.max, Int.min])
    func byteWriterDecimalMatchesTheStringForm(_ value: Int) {
        var writer = ByteWriter(capacity: 1)
        writer.append("x=" as StaticString)
        writer.appendDecimal(value)
        #expect(String(decoding: writer.bytes, as: UTF8.self) == "x=\(value)")
    }

    @Test func byteWriterKeepsEveryPieceAcrossGrowth() {
        var writer = ByteWriter(capacity: 1)  // grows on almost every piece
        #expect(writer.last == nil)
        var expected: [UInt8] = []
        for round in 0..<200 {
            let text = round % 3 == 0 ? "Zürich \(round) 日本" : String(repeating: "ab", count: round)
            writer.append(text)
            writer.append(UInt8(ascii: ";"))
            writer.appendUninitialized(2) { $0[0] = 0x41; $0[1] = 0x42 }
            [UInt8](arrayLiteral: 1, 2, 3).withUnsafeBufferPointer { writer.append($0) }
            expected += Array(text.utf8) + [UInt8(ascii: ";"), 0x41, 0x42, 1, 2, 3]
        }
        #expect(writer.bytes == expected)
        #expect(writer.count == expected.count && writer.last == 3)
        #expect(writer.withBytes { Array($0) } == expected)
    }
}
