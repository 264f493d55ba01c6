import BifrostCore
import BifrostHTTP
import BifrostPluginKit
import BifrostTestSupport
import Foundation
import Testing

@testable import BifrostProviders

extension LiveProviderTests {
    /// Vertex AI against an HTTPS upstream in-process that is both the token endpoint and the API host.
    @Suite("Vertex provider over HTTPS")
    struct VertexProviderTests {
        /// An RSA key made with the openssl command, and the service-account JSON naming it.
        final class Account: Sendable {
            let directory: URL
            let privateKey: String

            init() throws {
                directory = FileManager.default.temporaryDirectory.appendingPathComponent("vertex-\(UUID().uuidString)")
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                try Self.openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "key.pem"], in: directory)
                try Self.openssl(["pkey", "-in", "key.pem", "-pubout", "-out", "pub.pem"], in: directory)
                privateKey = try String(contentsOf: directory.appendingPathComponent("key.pem"), encoding: .utf8)
            }

            deinit { try? FileManager.default.removeItem(at: directory) }

            func json(tokenURI: String) -> String {
                var writer = JSONWriter()
                writer.json(.object(["type": .string("service_account"), "project_id": .string("proj-from-key"),
                                     "client_email": .string("gateway@proj.iam.gserviceaccount.com"),
                                     "private_key": .string(privateKey), "token_uri": .string(tokenURI)]))
                return String(decoding: writer.bytes, as: UTF8.self)
            }

            /// True when `signature` is a valid RS256 signature of `data` by this key (checked by openssl).
            func verifies(_ data: [UInt8], signature: [UInt8]) throws -> Bool {
                try Data(data).write(to: directory.appendingPathComponent("data"))
                try Data(signature).write(to: directory.appendingPathComponent("sig"))
                return (try? Self.openssl(["dgst", "-sha256", "-verify", "pub.pem", "-signature", "sig", "data"], in: directory)) != nil
            }

            @discardableResult
            static func openssl(_ arguments: [String], in directory: URL) throws -> Int32 {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                process.arguments = ["openssl"] + arguments
                process.currentDirectoryURL = directory
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                try process.run()
                process.waitUntilExit()
                guard process.terminationStatus == 0 else { throw CocoaError(.executableLoad) }
                return process.terminationStatus
            }
        }

        private static let claudeAnswer = #"{"id":"msg_v","type":"message","role":"assistant","model":"claude","content":[{"type":"text","text":"from claude"}],"stop_reason":"end_turn","usage":{"input_tokens":3,"output_tokens":2}}"#
        private static let geminiAnswer = #"{"id":"g","object":"chat.completion","created":1,"model":"google/gemini-2.0-flash","choices":[{"index":0,"message":{"role":"assistant","content":"from gemini"},"finish_reason":"stop"}]}"#

        private func upstream() throws -> CaptureServer {
            try CaptureServer { request in
                let body: String
                if request.path == "/token" {
                    body = #"{"access_token":"ya29.test-token","expires_in":3599,"token_type":"Bearer"}"#
                } else if request.path.contains(":rawPredict") {
                    body = Self.claudeAnswer
                } else {
                    body = Self.geminiAnswer
                }
                return .json(.ok, body)
            }
        }

        private func vertex(_ upstream: CaptureServer, _ client: TestUpstreamClient, _ account: Account) -> VertexProvider {
            var config = providerConfig(key: "", baseURL: upstream.baseURL, meta: [
                "project_id": .string("my-project"), "region": .string("us-east5"),
                "auth_credentials": .string(account.json(tokenURI: upstream.baseURL + "/token")),
            ])
            config.keys = [ProviderKey(value: "")]
            return VertexProvider(name: "vertex", client: client.client, config: config)
        }

        @Test func claudeGoesToRawPredictWithASignedInBearerToken() async throws {
            let account = try Account()
            let server = try upstream()
            let client = try TestUpstreamClient()
            let provider = vertex(server, client, account)
            let response = try await provider.complete(chatRequest("vertex", "claude-3-5-haiku@20241022", [.text("user", "hi")]),
                                                       key: ProviderKey(value: ""), context: BifrostContext())
            #expect(response.choices.first?.message?.content?.plainText == "from claude")

            let requests = server.recorded.all
            #expect(requests.map(\.path) == ["/token",
                                             "/v1/projects/my-project/locations/us-east5/publishers/anthropic/models/claude-3-5-haiku%4020241022:rawPredict"])
            let call = requests[1]
            #expect(call.headers["authorization"] == "Bearer ya29.test-token")
            let body = try jsonObject(call.body)
            #expect(body["anthropic_version"] as? String == "vertex-2023-10-16")
            #expect(body["model"] == nil)

            // The token request: a JWT bearer grant whose assertion the account's key signed.
            let tokenRequest = requests[0]
            #expect(tokenRequest.headers["content-type"] == "application/x-www-form-urlencoded")
            let form = String(decoding: tokenRequest.body, as: UTF8.self)
            #expect(form.hasPrefix("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion="))
            let jwt = String(form.split(separator: "=").last!)
            let parts = jwt.split(separator: ".").map(String.init)
            #expect(parts.count == 3)
            let claims = try jsonObject(try #require(Self.base64URLDecode(parts[1])))
            #expect(claims["iss"] as? String == "gateway@proj.iam.gserviceaccount.com")
            #expect(claims["aud"] as? String == server.baseURL + "/token")
            #expect(claims["scope"] as? String == "https://www.googleapis.com/auth/cloud-platform")
            #expect((claims["exp"] as? Int ?? 0) - (claims["iat"] as? Int ?? 0) == 3600)
            #expect(try account.verifies(Array("\(parts[0]).\(parts[1])".utf8), signature: try #require(Self.base64URLDecode(parts[2]))))
        }

        @Test func geminiGoesToTheOpenAIEndpointAndTheTokenIsShared() async throws {
            let account = try Account()
            let server = try upstream()
            let client = try TestUpstreamClient()
            let provider = vertex(server, client, account)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        let response = try await provider.complete(chatRequest("vertex", "gemini-2.0-flash", [.text("user", "hi")]),
                                                                   key: ProviderKey(value: ""), context: BifrostContext())
                        #expect(response.choices.first?.message?.content?.plainText == "from gemini")
                        #expect(response.extraFields.model == "gemini-2.0-flash")
                    }
                }
                try await group.waitForAll()
            }
            let requests = server.recorded.all
            #expect(requests.filter { $0.path == "/token" }.count == 1)  // one refresh for four concurrent calls
            let call = try #require(requests.last { $0.path != "/token" })
            #expect(call.path == "/v1beta1/projects/my-project/locations/us-east5/endpoints/openapi/chat/completions")
            #expect(try jsonObject(call.body)["model"] as? String == "google/gemini-2.0-flash")
        }

        @Test func aTokenCloseToExpiryIsRefreshed() async throws {
            let account = try Account()
            // Tokens that live 60 s are inside the five-minute refresh margin: every call refreshes.
            let server = try CaptureServer { request in
                request.path == "/token" ? .json(.ok, #"{"access_token":"short","expires_in":60}"#) : .json(.ok, Self.geminiAnswer)
            }
            let client = try TestUpstreamClient()
            let provider = vertex(server, client, account)
            for _ in 0..<2 {
                _ = try await provider.complete(chatRequest("vertex", "gemini-2.0-flash", [.text("user", "hi")]), key: ProviderKey(value: ""),
                                                context: BifrostContext())
            }
            #expect(server.recorded.all.filter { $0.path == "/token" }.count == 2)
        }

        @Test func aRefusedTokenIsAnAuthenticationError() async throws {
            let account = try Account()
            let server = try CaptureServer { request in
                request.path == "/token" ? .json(.badRequest, #"{"error":"invalid_grant","error_description":"Invalid JWT Signature."}"#)
                    : .json(.ok, Self.geminiAnswer)
            }
            let client = try TestUpstreamClient()
            let error = await expectBifrostError {
                _ = try await vertex(server, client, account).complete(chatRequest("vertex", "gemini-2.0-flash", [.text("user", "hi")]),
                                                                       key: ProviderKey(value: ""), context: BifrostContext())
            }
            #expect(error?.statusCode == 401)
            #expect(error?.error.message.contains("Invalid JWT Signature.") == true)
            #expect(server.recorded.all.map(\.path) == ["/token"])
        }

        @Test func missingCredentialsAreAConfigurationError() async throws {
            let server = try upstream()
            let client = try TestUpstreamClient()
            let provider = VertexProvider(name: "vertex", client: client.client,
                                          config: providerConfig(key: "", baseURL: server.baseURL, meta: ["project_id": .string("p")]))
            let error = await expectBifrostError {
                _ = try await provider.complete(chatRequest("vertex", "gemini-2.0-flash", [.text("user", "hi")]), key: ProviderKey(value: ""),
                                                context: BifrostContext())
            }
            #expect(error?.error.message.contains("meta_config.auth_credentials") == true)
            #expect(server.recorded.all.isEmpty)
        }

        static func base64URLDecode(_ text: String) -> [UInt8]? {
            var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            while base64.count % 4 != 0 { base64 += "=" }
            return Data(base64Encoded: base64).map(Array.init)
        }
    }
}
