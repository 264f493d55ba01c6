/// A plugin that cannot be fetched, compiled or loaded. The gateway logs it and exits with status 2.
///
/// The description names the plugin and says what to do, e.g.
/// `plugin "auth": symbol bifrost_plugin_init not found in /cache/auth/…/libAuthPlugin.so (export it with @_cdecl)`.
public struct PluginLoadError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, in the words of the seed's troubleshooting list.
    public enum Kind: String, Sendable {
        case sourceNotFound = "source not found"
        case notASwiftPackage = "not a Swift package"
        case fetchFailed = "module not found"
        case toolchainMissing = "toolchain missing"
        case kitNotFound = "plugin kit not found"
        case compileFailed = "compile failed"
        case loadFailed = "load failed"
        case symbolNotFound = "symbol not found"
        case versionMismatch = "version mismatch"
        case initializationFailed = "initialization failed"
        case notAPlugin = "not a plugin"
        case cacheUnavailable = "cache unavailable"
    }

    /// The `name` of the plugin's `config.json` entry.
    public let plugin: String
    public let kind: Kind
    public let message: String

    public init(plugin: String, kind: Kind, _ message: String) {
        self.plugin = plugin
        self.kind = kind
        self.message = message
    }

    public var description: String { "plugin \"\(plugin)\": \(message)" }
}
