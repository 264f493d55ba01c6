import BifrostPluginKit

/// The ABI version this plugin was built against (checked by the gateway's loader).
@_cdecl("bifrost_plugin_abi_version")
public func bifrostPluginABIVersion() -> UInt32 { BifrostPluginABI.version }

/// `Init`: builds the plugin from its `config` JSON.
@_cdecl("bifrost_plugin_init")
public func bifrostPluginInit(_ config: UnsafePointer<CChar>?,
                              _ error: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> UnsafeMutableRawPointer? {
    BifrostPluginABI.initialize(config: config, error: error) { config in try AuthPlugin(config: config) }
}
