import BifrostCore
import BifrostPluginKit
import Foundation
import Testing

@Suite("JSON parser")
struct JSONParserTests {
    private func parse(_ text: String) throws -> JSONValue { try JSONParser.parse(Array(text.utf8)) }

    @Test func parsesEveryKindOfValue() throws {
        let value = try parse(#" {"a": [1, -2.5, 3e2, 0, true, false, null], "b": {"c": "d"}, "e": "", "f": []} "#)
        #expect(value["a"] == .array([.number(1), .number(-2.5), .number(300), .number(0), .bool(true), .bool(false), .null]))
        #expect(value["b"]?["c"] == .string("d"))
        #expect(value["e"] == .string(""))
        #expect(value["f"] == .array([]))
    }

    @Test func decodesEscapesAndUnicode() throws {
        let value = try parse(#"["a\"b\\c\/d\b\f\n\r\t", "\u00e9\u4e2d", "\ud83d\ude00", "Zürich"]"#)
        #expect(value == .array([.string("a\"b\\c/d\u{08}\u{0C}\n\r\t"), .string("é中"), .string("😀"), .string("Zürich")]))
    }

    @Test func agreesWithFoundationOnAChatRequest() throws {
        let text = #"{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":[{"type":"text","text":"hi"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]}],"temperature":0.7,"max_tokens":256,"stream":false}"#
        let ours = try parse(text)
        let theirs = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        #expect(ours == theirs)
    }

    @Test func numbersMatchStrtodOnTheFastPathAndOffIt() throws {
        var generator = SystemRandomNumberGenerator()
        var texts = ["0", "-0", "0.1", "0.7", "-2.5", "123456789012345", "1234567890123456", "0.1234567890123456789",
                     "9007199254740993", "1e3", "1.5E-7", "0.30000000000000004", "-0.000001", "1e22", "1e23", "123.456e2"]
        for _ in 0..<2_000 {
            let whole = UInt64.random(in: 0..<1_000_000_000, using: &generator)
            let fraction = String(UInt64.random(in: 0..<1_000_000, using: &generator))
            texts.append("\(whole).\(String(repeating: "0", count: Int.random(in: 0...6, using: &generator)))\(fraction)")
        }
        for text in texts {
            #expect(try parse(text) == .number(strtod(text, nil)), "\(text)")
        }
        #expect(try parse("-0").numberValue?.sign == .minus)
    }

    /// `readInteger` reads plain integers without going through `Double`; it must agree with the
    /// number reader on what is a whole number below 1e15, and reject the same malformed text.
    @Test(arguments: [("0", 0), ("-0", 0), ("7", 7), ("-42", -42), ("999999999999999", 999_999_999_999_999),
                      ("-999999999999999", -999_999_999_999_999), ("1000000000000000", nil), ("1e3", 1000), ("2E0", 2),
                      ("1.0", 1), ("1.5", nil), ("-7.25e2", -725), ("12345678901234567890", nil)] as [(String, Int?)])
    func integersReadTheSameWithOrWithoutTheFastPath(_ text: String, _ expected: Int?) throws {
        let read = try JSONReader.read(Array("[\(text),1]".utf8)) { reader in
            var values: [Int?] = []
            try reader.readArray { reader in values.append(try reader.readInteger()) }
            return values
        }
        #expect(read == [expected, 1], "\(text)")
    }

    @Test(arguments: ["01", "-", "-01", "00", "1.", "-a"])
    func malformedIntegersAreRejected(_ text: String) {
        #expect(throws: JSONParser.Failure.self) {
            try JSONReader.read(Array("[\(text)]".utf8)) { reader in try reader.readArray { reader in _ = try reader.readInteger() } }
        }
    }

    /// Skipping a number checks the same syntax as reading it, without converting it.
    @Test(arguments: ["0", "-0", "12", "-12.5", "1e5", "1E+5", "2.5e-3", "123456789012345678901234567890", "01", "-", "-01", "00",
                      "1.", "1.e3", ".5", "+1", "1e", "1e+", "-a", "0x1"])
    func skippingANumberAcceptsExactlyWhatReadingDoes(_ text: String) {
        let bytes = Array("[\(text)]".utf8)
        let readable = (try? JSONReader.read(bytes) { reader in try reader.readArray { reader in _ = try reader.readNumber() } }) != nil
        let skippable = (try? JSONReader.read(bytes) { reader in try reader.skipValue() }) != nil
        #expect(readable == skippable, "\(text)")
        #expect(readable == ["0", "-0", "12", "-12.5", "1e5", "1E+5", "2.5e-3", "123456789012345678901234567890"].contains(text))
    }

    @Test(arguments: [#"{"a":1,}"#, #"{"a\x":1}"#, #"[1,]"#, #"{"a" 1}"#, #""unterminated"#, "\"tab\there\"", #""\x""#, "01", "1.", "-", #"{"a":1} x"#,
                      "tru", #""\ud83d""#, "", "[" + String(repeating: "[", count: 200) + String(repeating: "]", count: 201)])
    func rejectsInvalidJSON(_ text: String) {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Array(text.utf8)) }
    }

    /// Strings are scanned eight bytes at a time: a quote, backslash or control character must be
    /// found at every offset in and across words, in strings of every length around a word.
    @Test func specialBytesAreFoundAtEveryOffset() throws {
        var texts: [String] = []
        for length in 0...19 {
            for offset in 0..<max(length, 1) {
                for special in ["\"", "\\", "\n", "\u{01}", "é"] {
                    var characters = Array(repeating: "a", count: length)
                    if length > 0 { characters[offset] = special }
                    texts.append(characters.joined())
                }
                if length > 0 {
                    var raw = Array(repeating: UInt8(ascii: "a"), count: length)
                    raw[offset] = 0x09  // a raw tab must be refused, wherever it is
                    let unescaped = [UInt8(ascii: "\"")] + raw + [UInt8(ascii: "\"")]
                    #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(unescaped) }
                    #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Array(unescaped.dropLast())) }
                }
            }
        }
        let foundations = try JSONEncoder().encode(texts)
        #expect(try JSONParser.parse(Array(foundations)) == .array(texts.map(JSONValue.string)))
        var writer = JSONWriter()
        writer.json(.array(texts.map(JSONValue.string)))
        #expect(try JSONDecoder().decode([String].self, from: Data(writer.bytes)) == texts)
    }
}
