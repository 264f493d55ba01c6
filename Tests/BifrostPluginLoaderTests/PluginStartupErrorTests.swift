import Foundation
import Testing

/// Each start-up failure stops `bifrost-http` with exit status 2 and one line naming the plugin.
extension PluginLoadingTests {
    /// Starts the gateway with one plugin entry and returns (exit status, output).
    private func failedStart(_ name: String, plugin: String, environment: [String: String] = [:]) throws -> (Int32, String) {
        let config = try PluginWorkspace.config("\(name).json", plugin: plugin, providers: Self.ollama)
        let gateway = try PluginWorkspace.start(config, environment: Self.environment.merging(environment) { $1 })
        let status = gateway.waitForExit(seconds: Self.compileSeconds)
        return (status, gateway.output)
    }

    private func local(_ name: String, _ source: String, config: String = "{}") -> String {
        #"{"name": "\#(name)", "type": "local", "source": "\#(source)", "config": \#(config)}"#
    }

    @Test func missingSourceDirectory() throws {
        let (status, output) = try failedStart("missing", plugin: local("ghost", "./plugins/does-not-exist"))
        #expect(status == 2)
        #expect(output.contains(#"plugin "ghost": source not found"#), "\(output)")
        #expect(output.contains("plugins/does-not-exist"))
    }

    @Test func directoryWithoutPackageSwift() throws {
        try FileManager.default.createDirectory(atPath: "\(PluginWorkspace.root)/plugins/empty", withIntermediateDirectories: true)
        let (status, output) = try failedStart("empty", plugin: local("empty", "./plugins/empty"))
        #expect(status == 2)
        #expect(output.contains(#"plugin "empty": not a Swift package"#), "\(output)")
    }

    @Test func compileFailureShowsTheCompilerErrors() throws {
        try PluginWorkspace.package("Broken", source: "let answer: Int = \"forty-two\"\n")
        let (status, output) = try failedStart("broken", plugin: local("broken", "./plugins/Broken"))
        #expect(status == 2)
        #expect(output.contains(#"plugin "broken": compile failed"#), "\(output)")
        #expect(output.contains("error: cannot convert value of type 'String'"))
    }

    @Test func abiVersionMismatch() throws {
        try PluginWorkspace.package("OldABI", source: """
            @_cdecl("bifrost_plugin_abi_version") public func version() -> UInt32 { \(PluginWorkspace.abiVersion + 1000) }
            @_cdecl("bifrost_plugin_init") public func initialize(_ c: UnsafeRawPointer?, _ e: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? { nil }
            """)
        let (status, output) = try failedStart("oldabi", plugin: local("old", "./plugins/OldABI"))
        #expect(status == 2)
        #expect(output.contains(#"plugin "old": plugin was built with a different version"#), "\(output)")
    }

    @Test func missingInitSymbol() throws {
        try PluginWorkspace.package("NoInit", source: """
            @_cdecl("bifrost_plugin_abi_version") public func version() -> UInt32 { \(PluginWorkspace.abiVersion) }
            """)
        let (status, output) = try failedStart("noinit", plugin: local("noinit", "./plugins/NoInit"))
        #expect(status == 2)
        #expect(output.contains(#"plugin "noinit": symbol bifrost_plugin_init not found"#), "\(output)")
    }

    @Test func initFailureCarriesThePluginsMessage() throws {
        _ = PluginWorkspace.echo
        let (status, output) = try failedStart("initfail", plugin: local("picky", "./plugins/echo", config: #"{"fail": "api_key is required"}"#))
        #expect(status == 2)
        #expect(output.contains(#"plugin "picky": plugin initialization failed: api_key is required"#), "\(output)")
    }

    @Test func initReturningSomethingElseThanAPlugin() throws {
        _ = PluginWorkspace.echo
        let (status, output) = try failedStart("notplugin", plugin: local("odd", "./plugins/echo", config: #"{"not_a_plugin": true}"#))
        #expect(status == 2)
        #expect(output.contains(#"plugin "odd": bifrost_plugin_init returned an object that is not a Plugin"#), "\(output)")
    }

    @Test func remoteSourceThatCannotBeFetched() throws {
        let entry = #"{"name": "far", "type": "remote", "source": "file://\#(PluginWorkspace.root)/no-such-repo", "version": "1.0.0"}"#
        let (status, output) = try failedStart("unfetchable", plugin: entry)
        #expect(status == 2)
        #expect(output.contains(#"plugin "far": module not found: cannot fetch"#), "\(output)")
    }

    @Test func duplicateNamesAndUnsetVariablesAreConfigErrors() throws {
        let twice = local("same", "./plugins/echo") + ", " + local("same", "./plugins/echo")
        let (status, output) = try failedStart("duplicate", plugin: twice)
        #expect(status == 2)
        #expect(output.contains(#"duplicate plugin name "same""#), "\(output)")

        let (unsetStatus, unsetOutput) = try failedStart(
            "unset", plugin: local("keyed", "./plugins/echo", config: #"{"api_key": "env.BIFROST_TEST_SURELY_UNSET"}"#))
        #expect(unsetStatus == 2)
        #expect(unsetOutput.contains("BIFROST_TEST_SURELY_UNSET"), "\(unsetOutput)")
    }
}
