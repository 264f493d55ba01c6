import BifrostCore
import BifrostPluginKit
import Foundation
import Logging

/// Loads the `plugins` of `config.json`: fetches remote sources, compiles each package with the
/// gateway's toolchain against the gateway's own plugin kit (through a cache), then opens the
/// libraries and calls their `Init`.
///
/// Two steps, both before the server accepts connections:
/// 1. ``prepare(_:)`` (slow on a cache miss: git and `swift build`) runs in `main`, before the
///    gateway exists;
/// 2. ``PreparedPlugin/instantiate()`` (dlopen + `bifrost_plugin_init`) runs while the gateway is
///    built, after its event loops and ``PluginServices`` exist, so a plugin's `Init` may use them.
///
/// Settings come from the environment:
/// - `BIFROST_PLUGIN_CACHE`: the cache directory (default `.bifrost/plugins` next to the config file);
/// - `BIFROST_PLUGIN_KIT_PATH`: the kit source (see ``PluginKitLocator``);
/// - `BIFROST_SWIFT`: the `swift` executable (default: `swift` on `PATH`).
public struct PluginLoader: Sendable {
    /// This gateway's version, part of the compile cache key.
    public static let gatewayVersion = "0.7.1"
    /// The environment variable naming the cache directory.
    public static let cacheVariable = "BIFROST_PLUGIN_CACHE"

    /// Where compiled plugins and remote checkouts are kept.
    public let cacheDirectory: String
    /// The directory relative `local` sources start from.
    public let configDirectory: String
    private let environment: [String: String]
    private let logger: Logger

    /// A loader for plugins listed in a config file that lives in `configDirectory`.
    public init(configDirectory: String, environment: [String: String] = ProcessInfo.processInfo.environment, logger: Logger) {
        let base = URL(fileURLWithPath: configDirectory.isEmpty ? "." : configDirectory).standardizedFileURL.path
        self.configDirectory = base
        let cache = environment[Self.cacheVariable].flatMap { $0.isEmpty ? nil : $0 } ?? "\(base)/.bifrost/plugins"
        cacheDirectory = URL(fileURLWithPath: cache, relativeTo: URL(fileURLWithPath: base, isDirectory: true)).standardizedFileURL.path
        self.environment = environment
        self.logger = logger
    }

    /// Fetches and compiles every plugin, in order (blocking; call before the server starts).
    /// Throws the first failure, naming its plugin.
    public func prepare(_ plugins: [PluginConfig]) throws(PluginLoadError) -> [PreparedPlugin] {
        guard !plugins.isEmpty else { return [] }
        guard let kit = PluginKitLocator.locate(environment: environment) else {
            throw PluginLoadError(plugin: plugins[0].name, kind: .kitNotFound,
                                  "cannot find the plugin kit source: \(PluginKitLocator.searchDescription(environment: environment))")
        }
        let swift = ProcessRunner.which(environment["BIFROST_SWIFT"] ?? "swift", environment: environment)
        let fetcher = PluginSourceFetcher(cacheDirectory: cacheDirectory, configDirectory: configDirectory,
                                          environment: environment, logger: logger)
        let compiler = PluginCompiler(cacheDirectory: cacheDirectory, kitDirectory: kit, swiftExecutable: swift,
                                      environment: environment, logger: logger)
        var prepared: [PreparedPlugin] = []
        for plugin in plugins {
            let started = ContinuousClock.now
            let directory = try fetcher.packageDirectory(for: plugin)
            let (library, cached) = try compiler.library(plugin: plugin.name, directory: directory)
            var writer = JSONWriter(capacity: 128)
            writer.json(plugin.config)
            prepared.append(PreparedPlugin(name: plugin.name, libraryPath: library,
                                           configJSON: String(decoding: writer.bytes, as: UTF8.self), fromCache: cached))
            if cached {
                logger.info("plugin cache hit", metadata: ["plugin": "\(plugin.name)", "library": "\(library)",
                                                           "ms": "\(PluginCompiler.seconds((ContinuousClock.now - started) * 1000))"])
            }
        }
        return prepared
    }
}

/// A compiled plugin library, ready to be opened.
public struct PreparedPlugin: Sendable {
    /// The `name` of its `config.json` entry.
    public let name: String
    /// The library in the cache.
    public let libraryPath: String
    /// Its `config` object as JSON text (after `env.` substitution), handed to `bifrost_plugin_init`.
    public let configJSON: String
    /// True when the library came from the cache (no compiler ran).
    public let fromCache: Bool

    public init(name: String, libraryPath: String, configJSON: String, fromCache: Bool) {
        self.name = name
        self.libraryPath = libraryPath
        self.configJSON = configJSON
        self.fromCache = fromCache
    }

    /// Opens the library (never closed), checks the ABI version and calls the plugin's `Init`.
    public func instantiate() throws(PluginLoadError) -> any Plugin {
        try PluginLibrary.instantiate(plugin: name, path: libraryPath, configJSON: configJSON)
    }
}
