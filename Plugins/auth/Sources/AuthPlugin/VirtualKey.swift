import BifrostPluginKit

/// A client credential the gateway accepts, with the models it may use.
public struct VirtualKey: Sendable {
    /// A label for logs, metrics and other plugins (never the secret).
    public let name: String
    let secret: [UInt8]
    /// `provider/model` patterns this key may call; empty allows every model.
    public let models: [GlobPattern]

    public init(name: String, value: String, models: [String] = []) {
        self.name = name
        secret = Array(value.utf8)
        self.models = models.map(GlobPattern.init)
    }

    /// Whether this key may call `model` of `provider`.
    public func allows(provider: String, model: String) -> Bool {
        if models.isEmpty { return true }
        let target = "\(provider)/\(model)"
        return models.contains { $0.matches(target) }
    }

    /// Compares `candidate` with the secret in time that depends only on the candidate's length.
    func matches(_ candidate: [UInt8]) -> Bool {
        guard !secret.isEmpty else { return false }
        var difference = UInt64(truncatingIfNeeded: secret.count ^ candidate.count)
        for index in 0..<candidate.count {
            difference |= UInt64(secret[index % secret.count] ^ candidate[index])
        }
        return difference == 0
    }
}

extension VirtualKey {
    /// Reads the `keys` array of the plugin's config (see README.md).
    static func parse(_ config: JSONValue) throws -> [VirtualKey] {
        guard case .array(let entries)? = config["keys"] else {
            throw PluginConfigurationError("auth: config.keys: expected an array of {name, value, models}")
        }
        var keys: [VirtualKey] = []
        var names = Set<String>()
        var values = Set<[UInt8]>()
        for (index, entry) in entries.enumerated() {
            let path = "auth: config.keys[\(index)]"
            guard let name = entry["name"]?.stringValue, !name.isEmpty else { throw PluginConfigurationError("\(path).name: expected a non-empty string") }
            guard let value = entry["value"]?.stringValue, !value.isEmpty else {
                throw PluginConfigurationError("\(path).value: expected a non-empty string (e.g. \"env.TEAM_KEY\")")
            }
            var models: [String] = []
            switch entry["models"] {
            case nil, .null?: break
            case .array(let items)?:
                for (modelIndex, item) in items.enumerated() {
                    guard let pattern = item.stringValue, !pattern.isEmpty else {
                        throw PluginConfigurationError("\(path).models[\(modelIndex)]: expected a \"provider/model\" pattern")
                    }
                    models.append(pattern)
                }
            default: throw PluginConfigurationError("\(path).models: expected an array of strings")
            }
            guard names.insert(name).inserted else { throw PluginConfigurationError("\(path).name: duplicate key name \"\(name)\"") }
            guard values.insert(Array(value.utf8)).inserted else { throw PluginConfigurationError("\(path).value: the same value as an earlier key") }
            keys.append(VirtualKey(name: name, value: value, models: models))
        }
        return keys
    }
}
