import BifrostCore
import BifrostPluginKit
import Glibc

/// Bedrock's settings, from the provider's config and the standard AWS variables:
///
/// ```json
/// "bedrock": {"keys": [{"value": "env.AWS_ACCESS_KEY_ID"}],
///             "meta_config": {"region": "us-east-1", "secret_access_key": "env.AWS_SECRET_ACCESS_KEY",
///                             "session_token": "env.AWS_SESSION_TOKEN"}}
/// ```
///
/// The key's value is the access key id. `secret_access_key`, `session_token` and `region` fall back
/// to `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN` and `AWS_REGION` (then `AWS_DEFAULT_REGION`);
/// `network_config.base_url` replaces `https://bedrock-runtime.{region}.amazonaws.com`.
struct BedrockSettings: Sendable {
    var region: String?
    var secretAccessKey: String?
    var sessionToken: String?
    var baseURL: String?

    init(config: ProviderConfig, environment: [String: String] = BedrockSettings.processEnvironment()) {
        func setting(_ name: String, _ variables: [String]) -> String? {
            if let value = config.meta[name]?.stringValue, !value.isEmpty { return value }
            return variables.lazy.compactMap { environment[$0] }.first { !$0.isEmpty }
        }
        region = setting("region", ["AWS_REGION", "AWS_DEFAULT_REGION"])
        secretAccessKey = setting("secret_access_key", ["AWS_SECRET_ACCESS_KEY"])
        sessionToken = setting("session_token", ["AWS_SESSION_TOKEN"])
        baseURL = config.network.baseURL ?? region.map { "https://bedrock-runtime.\($0).amazonaws.com" }
    }

    /// `{base}/model/{model id, URI-encoded}/converse` or `/converse-stream`. Model ids may be
    /// inference-profile ARNs, whose `:` and `/` are encoded.
    func url(model: String, stream: Bool, provider: String) throws(BifrostError) -> String {
        guard let baseURL else {
            throw BifrostError(message: "\(provider) needs a region: set providers.\(provider).meta_config.region or AWS_REGION",
                               type: "configuration_error", statusCode: 500)
        }
        let base = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        return "\(base)/model/\(AWSSigner.uriEncode(model))/\(stream ? "converse-stream" : "converse")"
    }

    /// The signer for requests made with `key` (its value is the access key id).
    func signer(provider: String) -> UpstreamCall.Signer {
        let region = self.region ?? "us-east-1"
        let secret = secretAccessKey ?? ""
        let token = sessionToken
        return { key, endpoint, headers, body in
            let signer = AWSSigner(credentials: .init(accessKeyID: key.value, secretAccessKey: secret, sessionToken: token),
                                   region: region, service: "bedrock")
            let path = endpoint.target.split(separator: "?", maxSplits: 1).first.map(String.init) ?? "/"
            let query = endpoint.target.split(separator: "?", maxSplits: 1).dropFirst().first.map(String.init) ?? ""
            return signer.sign(method: "POST", host: endpoint.origin.hostHeader, path: path, query: query, headers: headers, body: body,
                               at: Int(time(nil)))
        }
    }

    /// A 500 naming what is missing, when the credentials are incomplete.
    func checkCredentials(provider: String) throws(BifrostError) {
        guard secretAccessKey != nil else {
            throw BifrostError(message: "\(provider) needs a secret access key: set providers.\(provider).meta_config.secret_access_key "
                                   + "or AWS_SECRET_ACCESS_KEY", type: "configuration_error", statusCode: 500)
        }
    }

    static func processEnvironment() -> [String: String] {
        var environment: [String: String] = [:]
        for name in ["AWS_REGION", "AWS_DEFAULT_REGION", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"] {
            if let value = getenv(name) { environment[name] = String(cString: value) }
        }
        return environment
    }
}
