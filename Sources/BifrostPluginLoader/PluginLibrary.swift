import BifrostPluginKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Opens a compiled plugin library and calls its C entry points (see ``BifrostPluginABI``).
/// Libraries are never closed: a plugin's code and types must outlive every request that saw them.
enum PluginLibrary {
    private typealias VersionFunction = @convention(c) () -> UInt32
    private typealias InitFunction = @convention(c) (UnsafePointer<CChar>?, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?)
        -> UnsafeMutableRawPointer?

    /// dlopen (`RTLD_NOW`), ABI version check, `bifrost_plugin_init(config)`, and the cast to `Plugin`.
    static func instantiate(plugin name: String, path: String, configJSON: String) throws(PluginLoadError) -> any Plugin {
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            throw PluginLoadError(plugin: name, kind: .loadFailed, "cannot load \(path): \(lastError())")
        }
        guard let versionSymbol = dlsym(handle, BifrostPluginABI.versionSymbol) else {
            throw PluginLoadError(plugin: name, kind: .symbolNotFound,
                                  "symbol \(BifrostPluginABI.versionSymbol) not found in \(path) (export it with @_cdecl, see Plugins/template)")
        }
        let version = unsafeBitCast(versionSymbol, to: VersionFunction.self)()
        guard version == BifrostPluginABI.version else {
            throw PluginLoadError(plugin: name, kind: .versionMismatch,
                                  "plugin was built with a different version of the plugin API (ABI \(version), this gateway has \(BifrostPluginABI.version)); rebuild it against this gateway's BifrostPluginKit")
        }
        guard let initSymbol = dlsym(handle, BifrostPluginABI.initSymbol) else {
            throw PluginLoadError(plugin: name, kind: .symbolNotFound,
                                  "symbol \(BifrostPluginABI.initSymbol) not found in \(path) (export it with @_cdecl, see Plugins/template)")
        }
        let initialize = unsafeBitCast(initSymbol, to: InitFunction.self)
        var message: UnsafeMutablePointer<CChar>?
        let object = configJSON.withCString { initialize($0, &message) }
        guard let object else {
            let text = message.map { String(cString: $0) } ?? "Init returned no plugin and no error"
            free(message)
            throw PluginLoadError(plugin: name, kind: .initializationFailed, "plugin initialization failed: \(text)")
        }
        free(message)
        guard let plugin = BifrostPluginABI.takePlugin(object) else {
            throw PluginLoadError(plugin: name, kind: .notAPlugin,
                                  "\(BifrostPluginABI.initSymbol) returned an object that is not a Plugin (return it through BifrostPluginABI.initialize)")
        }
        return plugin
    }

    private static func lastError() -> String {
        dlerror().map { String(cString: $0) } ?? "unknown dlopen error"
    }
}
