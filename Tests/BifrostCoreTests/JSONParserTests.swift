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

    @Test(arguments: [#"{"a":1,}"#, #"[1,]"#, #"{"a" 1}"#, #""unterminated"#, "\"tab\there\"", #""\x""#, "01", "1.", "-", #"{"a":1} x"#,
                      "tru", #""\ud83d""#, "", "[" + String(repeating: "[", count: 200) + String(repeating: "]", count: 201)])
    func rejectsInvalidJSON(_ text: String) {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Array(text.utf8)) }
    }
}
