@testable import BifrostTransport
import BifrostPluginKit
import Foundation
import Testing

@Suite("OpenAI request bodies read in one pass")
struct RequestDecodingTests {
    private func decode(_ json: String) throws(RequestValidationError) -> BifrostRequest {
        try CompletionRequestDecoder.decode(Array(json.utf8), kind: .chatCompletion)
    }

    @Test func readsMessagesParametersAndExtrasWhateverTheMemberOrder() throws {
        let request = try decode(#"""
            {"temperature":0.7,"mess\u0061ges":[{"content":"Be brief.","role":"system"},
             {"role":"user","name":"ann","refusal":null,"content":[{"type":"text","text":"hi"},{"type":"image_url","image_url":{"url":"data:x"}}]},
             {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},
             {"role":"tool","tool_call_id":"c1","content":"42"}],
             "model":"openai/gpt-4o-mini","max_tokens":64,"logit_bias":{"50256":-100},"stream_options":{"include_usage":true},
             "fallbacks":["anthropic/claude-3-5-haiku-latest"],"stream":false}
            """#)
        #expect(request.provider == "openai" && request.model == "gpt-4o-mini")
        guard case .chat(let messages) = request.input else { Issue.record("not a chat"); return }
        #expect(messages.map(\.role) == ["system", "user", "assistant", "tool"])
        #expect(messages[0].content == .text("Be brief."))
        #expect(messages[1].name == "ann")
        #expect(messages[1].content == .parts([.text("hi"), .image(url: "data:x", detail: nil)]))
        #expect(messages[2].toolCalls == [ToolCall(id: "c1", name: "f", arguments: "{}")])
        #expect(messages[3].toolCallID == "c1")
        #expect(request.params.temperature == 0.7 && request.params.maxTokens == 64)
        #expect(request.params.extra == ["logit_bias": .object(["50256": .number(-100)])])
        #expect(request.fallbacks == [Fallback(provider: "anthropic", model: "claude-3-5-haiku-latest")])
    }

    @Test func theTokenLimitKeepsTheNameTheClientGaveIt() throws {
        let newer = try decode(#"{"model":"openai/o3-mini","messages":[{"role":"user","content":"hi"}],"max_completion_tokens":300}"#)
        #expect(newer.params.maxTokens == 300 && newer.params.maxTokensField == .maxCompletionTokens)
        let older = try decode(#"{"model":"openai/gpt-4o","messages":[{"role":"user","content":"hi"}],"max_tokens":30}"#)
        #expect(older.params.maxTokens == 30 && older.params.maxTokensField == .maxTokens)
        let both = try decode(#"{"model":"openai/gpt-4o","messages":[{"role":"user","content":"hi"}],"max_completion_tokens":300,"max_tokens":30}"#)
        #expect(both.params.maxTokens == 300 && both.params.maxTokensField == .maxCompletionTokens)
        let nested = try decode(#"{"provider":"openai","model":"o3-mini","messages":[{"role":"user","content":"hi"}],"params":{"max_completion_tokens":7}}"#)
        #expect(nested.params.maxTokens == 7 && nested.params.maxTokensField == .maxCompletionTokens)
    }

    @Test func parametersEncodeTheLimitUnderItsNameAndDecodeBackEqual() throws {
        var params = ModelParameters(temperature: 0.5, maxTokens: 300, extra: ["x": .bool(true)])
        params.maxTokensField = .maxCompletionTokens
        let json = try JSONEncoder().encode(params)
        let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        #expect(object["max_completion_tokens"] as? Int == 300 && object["max_tokens"] == nil)
        #expect(try JSONDecoder().decode(ModelParameters.self, from: json) == params)
        let plain = ModelParameters(maxTokens: 30)
        #expect(try JSONDecoder().decode(ModelParameters.self, from: try JSONEncoder().encode(plain)) == plain)
    }

    @Test(arguments: [#"{"model":5,"x":[1,}"#, #"{"model":"openai/x","messages":[{"role":"user","content":"\q"}]}"#, "[1,", "",
                      #"{"model":"openai/x","messages":[]} x"#])
    func invalidJSONAnywhereIsReportedBeforeAnyFieldError(_ json: String) {
        let error = #expect(throws: RequestValidationError.self) { try decode(json) }
        #expect(error?.message.contains(json.isEmpty ? "empty" : "not valid JSON") == true, "\(json)")
    }

    @Test func fieldErrorsComeInAFixedOrderAndNameThePath() {
        let cases: [(String, String)] = [
            (#"[1]"#, "the request body must be a JSON object"),
            (#"{"messages":[{"content":5}]}"#, "model is required"),
            (#"{"model":"openai/x","messages":[{"content":5}]}"#, "messages[0].role is required and must be a string"),
            (#"{"model":"openai/x","messages":[{"role":"user","content":"a"},{"role":"user","content":5}]}"#,
             "messages[1].content must be a string or an array of parts"),
            (#"{"model":"openai/x","messages":{}}"#, "messages must be a non-empty array"),
            (#"{"model":"openai/x","messages":[{"role":"user","content":"a"}],"temperature":"hot"}"#, "temperature must be a number"),
            (#"{"model":"openai/x","messages":[{"role":"user","content":"a"}],"stream":"yes"}"#, "stream must be true or false"),
        ]
        for (json, message) in cases {
            let error = #expect(throws: RequestValidationError.self) { try decode(json) }
            #expect(error?.message == message, "\(json)")
        }
    }

    @Test func nestedParamsWinOverTopLevelOnesAndTheOthersStay() throws {
        let request = try decode(#"{"provider":"openai","model":"gpt-4o","messages":[{"role":"user","content":"a"}],"temperature":1,"max_completion_tokens":300,"x":2,"params":{"temperature":0.2,"custom":true,"x":1}}"#)
        #expect(request.params.temperature == 0.2)
        #expect(request.params.maxTokens == 300 && request.params.maxTokensField == .maxCompletionTokens)
        #expect(request.params.extra == ["custom": .bool(true), "x": .number(1)])
    }

    @Test func everyKnownParameterIsRecognisedByTheNameItIsWrittenWith() throws {
        for parameter in KnownParameter.allCases {
            let name = parameter.name.description
            let found = try JSONReader.read(Array("{\"\(name)\":0}".utf8)) { reader in
                var found: KnownParameter?
                try reader.readObject { reader, key in
                    found = KnownParameter(key)
                    try reader.skipValue()
                }
                return found
            }
            #expect(found == parameter, "\(name)")
            #expect(KnownParameter(name: name) == parameter, "\(name)")
        }
        #expect(KnownParameter(name: "logit_bias") == nil)
    }

    @Test func theProviderPrefixIsLowercasedAndTheModelKeptAsWritten() throws {
        let request = try decode(#"{"model":"OpenAI/GPT-4o/Mini","messages":[{"role":"user","content":"a"}],"fallbacks":["Grøq/Llama"]}"#)
        #expect(request.provider == "openai" && request.model == "GPT-4o/Mini")
        #expect(request.fallbacks == [Fallback(provider: "grøq", model: "Llama")])
        for model in ["/gpt-4o", "openai/"] {
            let error = #expect(throws: RequestValidationError.self) {
                try decode(#"{"model":"\#(model)","messages":[{"role":"user","content":"a"}]}"#)
            }
            #expect(error?.param == "model", "\(model)")
        }
    }
}
