@testable import BifrostProviders
import BifrostTLS
import Testing

@Suite("AWS Signature Version 4")
struct AWSSignerTests {
    /// 2024-05-01T12:30:45Z.
    private let time = 1_714_566_645
    private let path = "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse"
    private let body = Array(#"{"messages":[]}"#.utf8)

    private func signer(token: String? = nil) -> AWSSigner {
        AWSSigner(credentials: .init(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                     sessionToken: token),
                  region: "us-east-1", service: "bedrock")
    }

    private func sign(_ signer: AWSSigner) -> [String: String] {
        let added = signer.sign(method: "POST", host: "bedrock-runtime.us-east-1.amazonaws.com", path: path,
                                headers: [("Content-Type", "application/json")], body: body, at: time)
        return Dictionary(uniqueKeysWithValues: added.map { ($0.name, $0.value) })
    }

    // Expected values computed with botocore's SigV4Auth (an independent implementation) for the same request.
    @Test func matchesBotocoreForABedrockConverseCall() {
        let headers = sign(signer())
        #expect(headers["X-Amz-Date"] == "20240501T123045Z")
        #expect(headers["Authorization"] == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240501/us-east-1/bedrock/aws4_request, "
            + "SignedHeaders=content-type;host;x-amz-date, Signature=60eaedd405f81454bdc53f72e8557476e8d1e4eaca42ee06bc17259d7788582c")
        #expect(headers["X-Amz-Security-Token"] == nil)
    }

    // AWS's published Signature Version 4 test suite (get-vanilla, post-vanilla,
    // get-vanilla-query-order-key-case): service "service", 2015-08-30T12:36:00Z, host example.amazonaws.com.
    @Test(arguments: [
        ("GET", "", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
        ("POST", "", "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
        ("GET", "Param2=value2&Param1=value1", "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
    ])
    func awsTestSuiteVectors(_ method: String, _ query: String, _ signature: String) {
        let signer = AWSSigner(credentials: .init(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
                               region: "us-east-1", service: "service")
        let added = signer.sign(method: method, host: "example.amazonaws.com", path: "/", query: query, headers: [], body: [],
                                at: 1_440_938_160)
        #expect(added.first { $0.name == "X-Amz-Date" }?.value == "20150830T123600Z")
        #expect(added.last?.value == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            + "SignedHeaders=host;x-amz-date, Signature=\(signature)")
    }

    @Test func sessionTokensAreSentAndSigned() {
        let headers = sign(signer(token: "SESSIONTOKEN"))
        #expect(headers["X-Amz-Security-Token"] == "SESSIONTOKEN")
        #expect(headers["Authorization"] == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240501/us-east-1/bedrock/aws4_request, "
            + "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, "
            + "Signature=bb722a8e1546acea6c4a3e1ff8893c8becf56e1704c1d68b1bad08f0a7569259")
    }

    @Test func pathsAreEncodedTwiceAndQueriesSorted() {
        #expect(AWSSigner.canonicalPath(path) == "/model/anthropic.claude-3-haiku-20240307-v1%253A0/converse")
        #expect(AWSSigner.canonicalPath("") == "/")
        #expect(AWSSigner.canonicalQuery("b=2&a=x%20y&a=1") == "a=1&a=x%20y&b=2")
        #expect(AWSSigner.uriEncode("arn:aws:bedrock/x y~") == "arn%3Aaws%3Abedrock%2Fx%20y~")
    }

    @Test func timestampsAreUTC() {
        #expect(AWSSigner.timestamps(0) == ("19700101T000000Z", "19700101"))
        #expect(AWSSigner.timestamps(time) == ("20240501T123045Z", "20240501"))
    }
}

@Suite("libcrypto digests")
struct DigestTests {
    @Test func knownAnswers() {
        #expect(Digest.hex(Digest.sha256([])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Digest.hex(Digest.sha1(Array("abc".utf8))) == "a9993e364706816aba3e25717850c26c9cd0d89d")
        // RFC 4231 test case 2.
        #expect(Digest.hex(Digest.hmacSHA256(key: Array("Jefe".utf8), Array("what do ya want for nothing?".utf8)))
            == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }
}
