import ArgumentParser
import BifrostTLS

/// The flags every server executable shares: logging and HTTPS. Go style (`-tls-cert x`); a double dash works too.
public struct ServerFlags: ParsableArguments {
    @Option(name: [.customLong("log-level", withSingleDash: true), .customLong("log-level")],
            help: "debug, info, warn or error (default: $BIFROST_LOG_LEVEL or info).")
    public var logLevel: String?

    @Option(name: [.customLong("tls-cert", withSingleDash: true), .customLong("tls-cert")],
            help: "PEM certificate chain: serve HTTPS (needs -tls-key).")
    public var tlsCert: String?

    @Option(name: [.customLong("tls-key", withSingleDash: true), .customLong("tls-key")],
            help: "PEM private key for -tls-cert.")
    public var tlsKey: String?

    public init() {}

    public mutating func validate() throws {
        if (tlsCert == nil) != (tlsKey == nil) {
            throw ValidationError("-tls-cert and -tls-key go together: give both to serve HTTPS, or neither")
        }
        if let logLevel, CommandLineSupport.logLevel(logLevel) == nil {
            throw ValidationError("-log-level \(logLevel): use debug, info, warn or error")
        }
    }

    /// The HTTPS settings, when both files were given.
    public var tls: TLSServerConfiguration? {
        guard let tlsCert, let tlsKey else { return nil }
        return TLSServerConfiguration(certificateChainFile: tlsCert, privateKeyFile: tlsKey)
    }

    /// Validates a `-port` value the same way for every executable.
    public static func validate(port: Int) throws {
        guard (0...65_535).contains(port) else { throw ValidationError("-port \(port) is out of range (0-65535)") }
    }
}
