import BifrostPluginKit

/// A JSON value with the path it was found at, for validation with errors that name the path.
struct ConfigNode {
    let value: JSONValue
    let path: String
    let file: String

    func error(_ message: String) -> ConfigError {
        ConfigError(file: file, message: path.isEmpty ? message : "\(path): \(message)")
    }

    func child(_ key: String) -> ConfigNode? {
        guard case .object(let members) = value, let member = members[key] else { return nil }
        if case .null = member { return nil }
        return ConfigNode(value: member, path: path.isEmpty ? key : "\(path).\(key)", file: file)
    }

    func object() throws(ConfigError) -> [String: JSONValue] {
        guard case .object(let members) = value else { throw error("expected an object") }
        return members
    }

    func array() throws(ConfigError) -> [ConfigNode] {
        guard case .array(let items) = value else { throw error("expected an array") }
        return items.enumerated().map { ConfigNode(value: $1, path: "\(path)[\($0)]", file: file) }
    }

    func string() throws(ConfigError) -> String {
        guard case .string(let text) = value else { throw error("expected a string") }
        return text
    }

    func number() throws(ConfigError) -> Double {
        guard case .number(let number) = value else { throw error("expected a number") }
        return number
    }

    func integer(in range: ClosedRange<Int>) throws(ConfigError) -> Int {
        guard case .number(let number) = value, number.rounded() == number, abs(number) < 1e15 else {
            throw error("expected an integer")
        }
        let integer = Int(number)
        guard range.contains(integer) else { throw error("\(integer) is out of range \(range.lowerBound)...\(range.upperBound)") }
        return integer
    }

    func bool() throws(ConfigError) -> Bool {
        guard case .bool(let flag) = value else { throw error("expected true or false") }
        return flag
    }

    /// Rejects members not in `known`.
    func rejectUnknownKeys(_ known: [String]) throws(ConfigError) {
        let members = try object()
        if let unknown = members.keys.sorted().first(where: { !known.contains($0) }) {
            let path = self.path.isEmpty ? unknown : "\(self.path).\(unknown)"
            throw ConfigError(file: file, message: "\(path): unknown key (known: \(known.joined(separator: ", ")))")
        }
    }
}

/// `env.NAME` values, resolved from the environment.
struct EnvironmentResolver {
    let environment: [String: String]

    /// The variable named by an `env.` value, or nil for a literal.
    static func variable(in value: String) -> String? {
        value.hasPrefix("env.") ? String(value.dropFirst(4)) : nil
    }

    /// Resolves `value`; throws naming the path and variable when it is unset or empty.
    func resolve(_ value: String, at node: ConfigNode) throws(ConfigError) -> String {
        guard let name = Self.variable(in: value) else { return value }
        guard let resolved = environment[name], !resolved.isEmpty else {
            throw node.error("environment variable \(name) is not set")
        }
        return resolved
    }

    /// The `env.` variables inside `value` that are unset or empty, with their paths.
    func unsetVariables(in value: JSONValue, at path: String) -> [(path: String, variable: String)] {
        switch value {
        case .string(let text):
            guard let name = Self.variable(in: text), (environment[name] ?? "").isEmpty else { return [] }
            return [(path, name)]
        case .array(let items):
            return items.enumerated().flatMap { unsetVariables(in: $0.element, at: "\(path)[\($0.offset)]") }
        case .object(let members):
            return members.sorted { $0.key < $1.key }.flatMap { unsetVariables(in: $0.value, at: "\(path).\($0.key)") }
        default:
            return []
        }
    }

    /// Resolves every `env.` string inside `value` (objects and arrays included).
    func resolveAll(_ value: JSONValue, at node: ConfigNode) throws(ConfigError) -> JSONValue {
        switch value {
        case .string(let text):
            return .string(try resolve(text, at: node))
        case .array(let items):
            var resolved: [JSONValue] = []
            for (index, item) in items.enumerated() {
                resolved.append(try resolveAll(item, at: ConfigNode(value: item, path: "\(node.path)[\(index)]", file: node.file)))
            }
            return .array(resolved)
        case .object(let members):
            var resolved: [String: JSONValue] = [:]
            for (key, member) in members {
                resolved[key] = try resolveAll(member, at: ConfigNode(value: member, path: "\(node.path).\(key)", file: node.file))
            }
            return .object(resolved)
        default:
            return value
        }
    }
}

/// Durations in config: a number of milliseconds, or a string like `"500ms"`, `"2s"`, `"1m"`.
enum ConfigDuration {
    static func parse(_ node: ConfigNode) throws(ConfigError) -> Duration {
        switch node.value {
        case .number(let milliseconds):
            guard milliseconds >= 0, milliseconds <= 3_600_000 else { throw node.error("expected 0 to 3600000 milliseconds") }
            return .milliseconds(Int64(milliseconds))
        case .string(let text):
            let units: [(String, Double)] = [("ms", 1), ("s", 1000), ("m", 60_000)]
            for (suffix, factor) in units where text.hasSuffix(suffix) {
                if let amount = Double(text.dropLast(suffix.count)), amount >= 0, amount * factor <= 3_600_000 {
                    return .milliseconds(Int64(amount * factor))
                }
            }
            throw node.error("expected milliseconds or a duration like \"500ms\", \"2s\", \"1m\" (got \"\(text)\")")
        default:
            throw node.error("expected milliseconds or a duration like \"500ms\", \"2s\"")
        }
    }
}
