import BifrostCore
import BifrostPluginKit

/// Azure OpenAI's settings, read from the provider's `meta_config`:
///
/// ```json
/// "azure": {"keys": [{"value": "env.AZURE_API_KEY"}],
///           "meta_config": {"endpoint": "https://my-resource.openai.azure.com",
///                           "deployments": {"gpt-4o": "prod-gpt-4o"}, "api_version": "2024-10-21"}}
/// ```
///
/// `endpoint` falls back to `network_config.base_url`; `api_version` defaults to ``defaultAPIVersion``.
public struct AzureSettings: Sendable, Equatable {
    /// The resource endpoint without a trailing slash; nil when neither `meta_config.endpoint` nor
    /// `network_config.base_url` is set.
    public var endpoint: String?
    /// Model name → deployment name.
    public var deployments: [String: String]
    /// The `api-version` query parameter.
    public var apiVersion: String

    /// The API version used when `meta_config.api_version` is absent.
    public static let defaultAPIVersion = "2024-10-21"

    public init(endpoint: String?, deployments: [String: String] = [:], apiVersion: String = AzureSettings.defaultAPIVersion) {
        self.endpoint = endpoint.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        self.deployments = deployments
        self.apiVersion = apiVersion
    }

    /// The settings in `config` (its `meta` and base URL).
    public init(config: ProviderConfig) {
        var deployments: [String: String] = [:]
        if case .object(let members)? = config.meta["deployments"] {
            for (model, deployment) in members {
                if let name = deployment.stringValue { deployments[model] = name }
            }
        }
        let apiVersion = config.meta["api_version"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? Self.defaultAPIVersion
        let endpoint = config.meta["endpoint"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? config.network.baseURL
        self.init(endpoint: endpoint, deployments: deployments, apiVersion: apiVersion)
    }

    /// The deployment serving `model`; a 400 naming the model and the config path when there is none.
    public func deployment(for model: String, provider: String) throws(BifrostError) -> String {
        guard let deployment = deployments[model], !deployment.isEmpty else {
            let known = deployments.keys.sorted()
            let hint = known.isEmpty ? "none are configured" : "configured: \(known.joined(separator: ", "))"
            throw BifrostError(message: "\(provider) has no deployment for model \"\(model)\": add it to "
                                   + "providers.\(provider).meta_config.deployments (\(hint))",
                               type: "invalid_request_error", param: "model", statusCode: 400)
        }
        return deployment
    }

    /// `{endpoint}/openai/deployments/{deployment}/{path}?api-version={apiVersion}`.
    public func url(deployment: String, path: String, provider: String) throws(BifrostError) -> String {
        guard let endpoint else {
            throw BifrostError(message: "\(provider) needs providers.\(provider).meta_config.endpoint "
                                   + "(e.g. https://my-resource.openai.azure.com)",
                               type: "configuration_error", statusCode: 500)
        }
        return "\(endpoint)/openai/deployments/\(Self.escape(deployment))/\(path)?api-version=\(Self.escape(apiVersion))"
    }

    /// Percent-encodes everything but RFC 3986's unreserved characters.
    static func escape(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded
            }
        }
        return out
    }
}

private extension String {
    var leftPadded: String { count == 1 ? "0" + self : self }
}
