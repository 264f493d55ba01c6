import BifrostPluginKit

/// The logging plugin's settings (see README.md for the JSON form).
public struct LoggingConfiguration: Sendable {
    /// The log file; its directory is created when missing. Default `logs/bifrost-requests.log`.
    public var path = "logs/bifrost-requests.log"
    /// The file is rotated before a line would take it past this size. Default 100 MiB.
    public var maxFileBytes = 100 * 1024 * 1024
    /// Rotated files kept (`<path>.1` newest … `<path>.<maxFiles>` oldest). Default 5.
    public var maxFiles = 5
    /// Also log the request's input and the response body. Default false.
    public var includeBodies = false
    /// Lines waiting for the writer; beyond this, lines are dropped (and counted) rather than
    /// slowing requests. Default 10000.
    public var bufferRecords = 10_000

    public init(path: String = "logs/bifrost-requests.log", maxFileBytes: Int = 100 * 1024 * 1024, maxFiles: Int = 5,
                includeBodies: Bool = false, bufferRecords: Int = 10_000) {
        self.path = path
        self.maxFileBytes = maxFileBytes
        self.maxFiles = maxFiles
        self.includeBodies = includeBodies
        self.bufferRecords = bufferRecords
    }

    /// Reads `{"path", "max_file_bytes", "max_files", "include_bodies", "buffer_records"}`.
    public init(json config: JSONValue) throws {
        guard case .object(let members) = config else { throw PluginConfigurationError("logging: config: expected an object") }
        let known = ["path", "max_file_bytes", "max_files", "include_bodies", "buffer_records"]
        for key in members.keys where !known.contains(key) {
            throw PluginConfigurationError("logging: config.\(key): unknown setting (expected \(known.joined(separator: ", ")))")
        }
        if let path = members["path"] {
            guard let text = path.stringValue, !text.isEmpty else { throw PluginConfigurationError("logging: config.path: expected a file path") }
            self.path = text
        }
        maxFileBytes = try Self.whole(members["max_file_bytes"], "max_file_bytes", minimum: 1024) ?? maxFileBytes
        maxFiles = try Self.whole(members["max_files"], "max_files", minimum: 0) ?? maxFiles
        bufferRecords = try Self.whole(members["buffer_records"], "buffer_records", minimum: 1) ?? bufferRecords
        switch members["include_bodies"] {
        case nil: break
        case .bool(let flag)?: includeBodies = flag
        default: throw PluginConfigurationError("logging: config.include_bodies: expected true or false")
        }
    }

    private static func whole(_ value: JSONValue?, _ name: String, minimum: Int) throws -> Int? {
        guard let value else { return nil }
        guard let number = value.numberValue, number.rounded() == number, number >= Double(minimum), number < 1e15 else {
            throw PluginConfigurationError("logging: config.\(name): expected a whole number >= \(minimum)")
        }
        return Int(number)
    }
}
