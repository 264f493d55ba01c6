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
}
