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
}
