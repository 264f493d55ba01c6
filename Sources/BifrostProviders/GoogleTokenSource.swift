import BifrostCore
import BifrostHTTP
import BifrostIO
import BifrostPluginKit
import BifrostTLS
import Foundation
import Synchronization

/// A Google service account's access tokens: an RS256-signed JWT (libcrypto) exchanged at the
/// account's `token_uri` for a bearer token, cached until five minutes before it expires. Concurrent
/// requests share one refresh.
final class GoogleTokenSource: Sendable {
    /// The fields of a service-account JSON key the exchange needs.
    struct ServiceAccount: Sendable {
        var clientEmail: String
        var privateKey: String
        var tokenURI: String
        var projectID: String?

        /// Reads the JSON key (as Google issues it); throws naming the missing field.
        init(json: String) throws(BifrostError) {
            guard let value = try? JSONParser.parse(Array(json.utf8)),
                  let email = value["client_email"]?.stringValue, let key = value["private_key"]?.stringValue else {
                throw BifrostError(message: "vertex auth_credentials is not a service-account JSON key (needs client_email and private_key)",
                                   type: "configuration_error", statusCode: 500)
            }
            clientEmail = email
            privateKey = key
            tokenURI = value["token_uri"]?.stringValue ?? "https://oauth2.googleapis.com/token"
            projectID = value["project_id"]?.stringValue
        }
    }

    static let scope = "https://www.googleapis.com/auth/cloud-platform"
    private static let refreshMargin: Double = 300

    let account: ServiceAccount
    private let signer: RSASigner
    private let client: HTTPClient
    private let endpoint: ParsedURL
    private let state = Mutex<(token: String, expires: Double, refresh: Task<(String, Double), any Error>?)>(("", 0, nil))

    init(account: ServiceAccount, client: HTTPClient) throws(BifrostError) {
        self.account = account
        self.client = client
        do {
            signer = try RSASigner(pem: account.privateKey)
            endpoint = try ParsedURL(account.tokenURI)
        } catch {
            throw BifrostError(message: "vertex service account cannot be used: \(error)", type: "configuration_error", statusCode: 500)
        }
    }

    /// A valid access token (cached, or fetched once for all concurrent callers).
    func token(context: BifrostContext) async throws -> String {
        let now = Date().timeIntervalSince1970
        let task = state.withLock { state -> Task<(String, Double), any Error>? in
            if !state.token.isEmpty && state.expires - Self.refreshMargin > now { return nil }
            if let running = state.refresh { return running }
            let refresh = Task(executorPreference: context.executor) { try await self.fetch() }
            state.refresh = refresh
            return refresh
        }
        guard let task else { return state.withLock { $0.token } }
        do {
            let (token, expires) = try await task.value
            state.withLock { state in
                if state.refresh == task { (state.token, state.expires, state.refresh) = (token, expires, nil) }
            }
            return token
        } catch {
            state.withLock { state in if state.refresh == task { state.refresh = nil } }
            throw error
        }
    }

    /// The signed assertion for `now` (seconds since 1970).
    func assertion(now: Int) throws -> String {
        var claims = JSONWriter(capacity: 256)
        claims.open()
        claims.member("iss", account.clientEmail)
        claims.member("scope", Self.scope)
        claims.member("aud", account.tokenURI)
        claims.member("iat", now)
        claims.member("exp", now + 3600)
        claims.close()
        let unsigned = Self.base64URL(Array(#"{"alg":"RS256","typ":"JWT"}"#.utf8)) + "." + Self.base64URL(claims.bytes)
        return unsigned + "." + Self.base64URL(try signer.sign(Array(unsigned.utf8)))
    }

    private func fetch() async throws -> (String, Double) {
        let now = Int(Date().timeIntervalSince1970)
        let body = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=\(try assertion(now: now))"
        let request = HTTPClientRequest(method: "POST", origin: endpoint.origin, target: endpoint.target,
                                        headers: HTTPHeaders([("Content-Type", "application/x-www-form-urlencoded")]),
                                        body: Array(body.utf8))
        let response: HTTPClientResponse
        let bytes: [UInt8]
        do {
            response = try await client.execute(request)
            bytes = try await response.body.collect()
        } catch {
            throw ProviderErrors.transport(error, provider: "vertex token endpoint", host: endpoint.origin.authority)
        }
        let value = try? JSONParser.parse(bytes)
        guard (200..<300).contains(response.status.code), let token = value?["access_token"]?.stringValue else {
            let reason = value?["error_description"]?.stringValue ?? value?["error"]?.stringValue ?? "HTTP \(response.status.code)"
            throw BifrostError(message: "vertex could not get an access token for \(account.clientEmail): \(reason)",
                               type: "authentication_error", statusCode: 401, allowFallbacks: true)
        }
        let lifetime = value?["expires_in"]?.numberValue ?? 3600
        return (token, Double(now) + lifetime)
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
