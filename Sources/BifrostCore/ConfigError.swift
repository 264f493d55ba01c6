/// A configuration problem, reported as `<file>: <path>: <what is wrong>`,
/// e.g. `config.json: providers.openai.keys[0].weight: expected a number`.
public struct ConfigError: Error, CustomStringConvertible, Equatable, Sendable {
    public let file: String
    public let message: String

    public init(file: String, message: String) {
        self.file = file
        self.message = message
    }

    public var description: String { "\(file): \(message)" }
}
