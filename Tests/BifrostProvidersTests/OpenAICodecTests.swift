@testable import BifrostProviders
import BifrostPluginKit
import Foundation
import Testing

@Suite("OpenAI request bodies: sent on or written")
struct OpenAICodecTests {
    /// A request for model `m` keeping `json`, whose `model` value is `"openai/m"`.
    private func request(keeping json: String) throws -> BifrostRequest {
        let bytes = Array(json.utf8)
        let found = try #require(json.range(of: #""openai/m""#))
        let value = json.utf8.distance(from: json.startIndex, to: found.lowerBound)..<json.utf8.distance(from: json.startIndex, to: found.upperBound)
        var request = chatRequest("openai", "m", [.text("user", "hi")])
        request.openAIBody = OpenAIRequestBody(text: try #require(JSONText(source: bytes, range: 0..<bytes.count)), model: value)
        return request
    }

    @Test func aKeptBodyIsSentWithOnlyItsModelReplacedAndEscaped() throws {
        var request = try request(keeping: #"{"messages":[{"role":"user","content":"hi"}], "model": "openai/m" ,"n":2}"#)
        #expect(String(decoding: OpenAICodec.requestBody(request), as: UTF8.self)
                == #"{"messages":[{"role":"user","content":"hi"}], "model": "m" ,"n":2}"#)
        let kept = try #require(request.openAIBody)
        request.model = #"m "quoted""#  // clears the kept body: written from the fields
        #expect(request.openAIBody == nil)
        request.openAIBody = kept
        let sent = try #require(try JSONSerialization.jsonObject(with: Data(OpenAICodec.requestBody(request))) as? [String: Any])
        #expect(sent["model"] as? String == #"m "quoted""# && sent["n"] as? Int == 2)
    }

    @Test func withoutAKeptBodyTheFieldsAreWritten() throws {
        let request = chatRequest("openai", "m", [.text("user", "hi")], params: ModelParameters(stop: ["END"]))
        let sent = try #require(try JSONSerialization.jsonObject(with: Data(OpenAICodec.requestBody(request))) as? [String: Any])
        #expect(sent["model"] as? String == "m" && sent["stop"] as? [String] == ["END"] && sent["stream"] == nil)
    }
}
