@testable import BifrostMock
import Testing

@Suite("Request scanner: JSON validation and the fields the mock reads")
struct RequestScannerTests {
    private func scan(_ text: String) -> RequestFields? { RequestScanner.scan(Array(text.utf8)) }
    private func string(_ bytes: ArraySlice<UInt8>?) -> String? { bytes.map { String(decoding: $0, as: UTF8.self) } }

    @Test func readsModelStreamAndOpenAIToolName() throws {
        let fields = try #require(scan("""
            {"messages":[{"role":"user","content":"hi \\"there\\" \\u00e9"}],"model":"gpt-4o","stream":true,
             "tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}},{"type":"function","function":{"name":"other"}}]}
            """))
        #expect(string(fields.model) == "gpt-4o")
        #expect(fields.stream)
        #expect(fields.hasTools)
        #expect(string(fields.firstToolName) == "get_weather")
    }

    @Test func readsAnthropicToolName() throws {
        let fields = try #require(scan(#"{"model":"claude","tools":[{"name":"lookup","input_schema":{"type":"object"}}]}"#))
        #expect(string(fields.firstToolName) == "lookup")
        #expect(!fields.stream)
    }

    @Test func emptyToolsAndStreamFalseAreNotSet() throws {
        let fields = try #require(scan(#"{"model":"m","stream":false,"tools":[]}"#))
        #expect(!fields.hasTools)
        #expect(!fields.stream)
    }

    @Test func keepsEscapedModelRaw() throws {
        let fields = try #require(scan(#"{"model":"a\"b\/c"}"#))
        #expect(string(fields.model) == #"a\"b\/c"#)
    }

    @Test func nestedKeysDoNotCountAsTopLevel() throws {
        let fields = try #require(scan(#"{"metadata":{"model":"inner","stream":true},"model":"outer"}"#))
        #expect(string(fields.model) == "outer")
        #expect(!fields.stream)
    }

    @Test(arguments: [
        (#"{"input":"one"}"#, 1),
        (#"{"input":["a","b","c"]}"#, 3),
        (#"{"input":[1,2,3,4]}"#, 1),
        (#"{"input":[[1,2],[3]]}"#, 2),
        (#"{"input":[]}"#, 0),
        (#"{"model":"m"}"#, 0),
    ])
    func countsEmbeddingInputs(body: String, expected: Int) throws {
        #expect(try #require(scan(body)).inputCount == expected)
    }

    @Test(arguments: [
        "", " ", "[]", "\"text\"", "null", "{", "{}}", "{\"a\":1,}", "{\"a\" 1}", "{'a':1}", "{\"a\":01}",
        "{\"a\":1.}", "{\"a\":-}", "{\"a\":1e}", "{\"a\":tru}", "{\"a\":\"\\x\"}", "{\"a\":\"\\u12g4\"}",
        "{\"a\":\"unterminated}", "{\"a\":\"tab\tinside\"}", "{\"a\":[1,2}", "{\"model\":\"m\"} x",
        String(repeating: "[", count: 100) + String(repeating: "]", count: 100),
    ])
    func rejectsInvalidJSON(body: String) {
        #expect(scan(body) == nil)
    }

    @Test(arguments: [
        "{}", " { } ", "{\"a\":[1,-2.5e+3,0.1E-2,true,false,null,\"\\n\\u00ff\"],\"b\":{\"c\":{}}}",
    ])
    func acceptsValidJSON(body: String) {
        #expect(scan(body) != nil)
    }
}
