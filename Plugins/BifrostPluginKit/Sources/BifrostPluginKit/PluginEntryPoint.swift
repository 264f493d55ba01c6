#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The C entry points of a dynamically loaded plugin (the Swift form of the seed's
/// `Init(config json.RawMessage) (schemas.Plugin, error)`), and the helpers that implement them.
///
/// A plugin library exports two C symbols, written in the plugin's own module:
///
/// ```swift
/// @_cdecl("bifrost_plugin_abi_version")
/// public func bifrostPluginABIVersion() -> UInt32 { BifrostPluginABI.version }
///
/// @_cdecl("bifrost_plugin_init")
/// public func bifrostPluginInit(_ config: UnsafePointer<CChar>?,
///                               _ error: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> UnsafeMutableRawPointer? {
///     BifrostPluginABI.initialize(config: config, error: error) { config in try RateLimitPlugin(config: config) }
/// }
/// ```
///
/// `config` is the plugin's `config` object from `config.json` as JSON text (after `env.` substitution).
public enum BifrostPluginABI {
    /// Bumped whenever the plugin API changes incompatibly; a plugin built against another version
    /// is refused at load time ("plugin was built with a different version"). Inlinable, so that a
    /// plugin compiles in the number it was built against: a stored constant of this resilient
    /// module would be read from the gateway's copy of the kit at run time, and always match.
    @inlinable public static var version: UInt32 { 2 }
    /// The symbol that returns the ABI version the plugin was built against.
    public static let versionSymbol = "bifrost_plugin_abi_version"
    /// The symbol that creates the plugin from its configuration.
    public static let initSymbol = "bifrost_plugin_init"

    /// Implements `bifrost_plugin_init`: parses `config`, calls `make`, and returns the plugin as a
    /// retained object pointer; on failure returns nil and stores a `malloc`ed message in `error`
    /// (the loader frees it).
    public static func initialize(config: UnsafePointer<CChar>?, error: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                                  _ make: (JSONValue) throws -> any Plugin) -> UnsafeMutableRawPointer? {
        do {
            let text = config.map { String(cString: $0) } ?? "{}"
            let value = text.isEmpty ? JSONValue.object([:]) : try JSONParser.parse(Array(text.utf8))
            let plugin = try make(value)
            return Unmanaged.passRetained(plugin as AnyObject).toOpaque()
        } catch let failure {
            error?.pointee = strdup("\(failure)")
            return nil
        }
    }

    /// The loader's side of `bifrost_plugin_init`: takes ownership of the returned pointer.
    public static func takePlugin(_ pointer: UnsafeMutableRawPointer) -> (any Plugin)? {
        Unmanaged<AnyObject>.fromOpaque(pointer).takeRetainedValue() as? any Plugin
    }
}

/// A plugin configuration problem, for `Init` to throw: the message reaches the gateway's log as
/// `plugin initialization failed: <message>`.
public struct PluginConfigurationError: Error, CustomStringConvertible, Sendable {
    public let description: String

    public init(_ message: String) {
        description = message
    }
}
