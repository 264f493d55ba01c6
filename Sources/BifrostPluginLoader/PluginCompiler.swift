import BifrostPluginKit
import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Compiles a plugin package into its dynamic library, through a cache.
///
/// Cache layout under `cacheDirectory`:
/// ```
/// toolchains/<fingerprint>.txt      `swift --version` of a toolchain binary (by path, size and mtime)
/// sources/<name>-<hash>/            remote checkouts
/// scratch/<folder>-<dir hash>/      SwiftPM's --scratch-path per package directory (incremental rebuilds)
/// builds/<key>/lib<Product>.so      the library loaded at start-up (plus `source`: the package directory)
/// builds/<dir hash>.lock            flock(2): one build per package directory at a time, across processes
/// ```
/// `key` hashes the plugin's source files, the kit's source files, the gateway version, the
/// toolchain version and `BifrostPluginABI.version`: a restart with nothing changed finds the library
/// without running `swift` at all.
struct PluginCompiler {
    let cacheDirectory: String
    let kitDirectory: String
    let swiftExecutable: String?
    let environment: [String: String]
    let logger: Logger

    #if os(macOS)
    static let libraryExtension = "dylib"
    #else
    static let libraryExtension = "so"
    #endif

    /// The library for the package in `directory`, and whether it came from the cache.
    func library(plugin name: String, directory: String) throws(PluginLoadError) -> (path: String, cached: Bool) {
        let key = try cacheKey(plugin: name, directory: directory)
        let artifactDirectory = "\(cacheDirectory)/builds/\(key)"
        if let found = Self.library(in: artifactDirectory) { return (found, true) }
        do {
            try FileManager.default.createDirectory(atPath: "\(cacheDirectory)/builds", withIntermediateDirectories: true)
        } catch {
            throw PluginLoadError(plugin: name, kind: .cacheUnavailable,
                                  "cannot create the plugin cache \(cacheDirectory): \(error.localizedDescription) (set BIFROST_PLUGIN_CACHE to a writable directory)")
        }
        let source = SourceHasher.digest(directory).prefix(16)
        let lock = open("\(cacheDirectory)/builds/\(source).lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        if lock >= 0 { _ = flock(lock, LOCK_EX) }
        defer { if lock >= 0 { close(lock) } }
        // Another process may have built it while this one waited for the lock.
        if let found = Self.library(in: artifactDirectory) { return (found, true) }
        let scratch = "\(cacheDirectory)/scratch/\(Self.safe((directory as NSString).lastPathComponent))-\(source)"
        let path = try build(plugin: name, directory: directory, scratch: scratch, artifactDirectory: artifactDirectory)
        return (path, false)
    }

    // MARK: Key

    private func cacheKey(plugin name: String, directory: String) throws(PluginLoadError) -> String {
        let hasher = SourceHasher()
        hasher.add("bifrost plugin cache 1")
        hasher.add(PluginLoader.gatewayVersion)
        hasher.add("abi \(BifrostPluginABI.version)")
        hasher.add(toolchainVersion(plugin: name))
        do {
            hasher.add("kit")
            try hasher.addTree(kitDirectory)
            hasher.add("plugin")
            try hasher.addTree(directory)
        } catch {
            throw PluginLoadError(plugin: name, kind: .sourceNotFound, "cannot read the sources: \(error.localizedDescription)")
        }
        return String(hasher.finish().prefix(24))
    }

    /// `swift --version`, remembered per toolchain binary (path, size, mtime) so a cache hit runs nothing.
    private func toolchainVersion(plugin name: String) -> String {
        guard let swift = swiftExecutable else { return "no toolchain" }
        let resolved = URL(fileURLWithPath: swift).resolvingSymlinksInPath().path
        var info = stat()
        guard stat(resolved, &info) == 0 else { return "no toolchain" }
        let fingerprint = SourceHasher.digest("\(resolved) \(info.st_size) \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)")
        let file = "\(cacheDirectory)/toolchains/\(fingerprint.prefix(24)).txt"
        if let data = FileManager.default.contents(atPath: file), !data.isEmpty { return String(decoding: data, as: UTF8.self) }
        guard let result = try? ProcessRunner.run(swift, ["--version"], environment: environment), result.status == 0 else {
            return "unknown toolchain \(resolved)"
        }
        let version = result.output.joined(separator: "\n")
        logger.info("plugin toolchain", metadata: ["swift": "\(version.split(separator: "\n").first ?? "")"])
        try? FileManager.default.createDirectory(atPath: "\(cacheDirectory)/toolchains", withIntermediateDirectories: true)
        try? Data(version.utf8).write(to: URL(fileURLWithPath: file), options: .atomic)
        return version
    }

    // MARK: Build

    private func build(plugin name: String, directory: String, scratch: String,
                       artifactDirectory: String) throws(PluginLoadError) -> String {
        guard let swift = swiftExecutable else {
            throw PluginLoadError(plugin: name, kind: .toolchainMissing,
                                  "cannot compile: the Swift toolchain (swift) is not on PATH (set BIFROST_SWIFT, install Swift, or use the -plugins Docker image)")
        }
        var environment = self.environment
        environment[PluginKitLocator.environmentVariable] = kitDirectory
        let product = try dynamicProduct(plugin: name, directory: directory, swift: swift, environment: environment)
        logger.info("compiling plugin", metadata: ["plugin": "\(name)", "package": "\(directory)", "product": "\(product)",
                                                   "kit": "\(kitDirectory)"])
        let started = ContinuousClock.now
        let result: ProcessRunner.Result
        do {
            result = try ProcessRunner.run(swift, ["build", "-c", "release", "--package-path", directory, "--scratch-path", scratch,
                                                   "--product", product], environment: environment) { line in
                logger.info("swift build: \(line)", metadata: ["plugin": "\(name)"])
            }
        } catch {
            throw PluginLoadError(plugin: name, kind: .toolchainMissing, "cannot run \(swift): \(error)")
        }
        guard result.status == 0 else {
            var errors = result.output.filter { $0.contains("error:") }
            if errors.isEmpty { errors = Array(result.output.suffix(3)) }
            throw PluginLoadError(plugin: name, kind: .compileFailed,
                                  "compile failed (swift build exit \(result.status)): \(errors.prefix(5).joined(separator: " | "))")
        }
        let built = "\(scratch)/release/lib\(product).\(Self.libraryExtension)"
        do {
            // Copy then rename: a concurrent reader never sees half a library.
            let staging = "\(artifactDirectory).tmp-\(getpid())"
            try? FileManager.default.removeItem(atPath: staging)
            try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: built, toPath: "\(staging)/lib\(product).\(Self.libraryExtension)")
            try Data(directory.utf8).write(to: URL(fileURLWithPath: "\(staging)/source"))
            try FileManager.default.moveItem(atPath: staging, toPath: artifactDirectory)
        } catch {
            throw PluginLoadError(plugin: name, kind: .cacheUnavailable, "cannot store the built library \(built): \(error.localizedDescription)")
        }
        pruneOldBuilds(of: directory, keeping: artifactDirectory)
        logger.info("plugin compiled", metadata: ["plugin": "\(name)",
                                                  "seconds": "\(Self.seconds(ContinuousClock.now - started))"])
        guard let path = Self.library(in: artifactDirectory) else {
            throw PluginLoadError(plugin: name, kind: .cacheUnavailable, "the built library vanished from \(artifactDirectory)")
        }
        return path
    }

    /// The package's one `.dynamic` library product (read with `swift package dump-package`).
    private func dynamicProduct(plugin name: String, directory: String, swift: String,
                                environment: [String: String]) throws(PluginLoadError) -> String {
        let result: ProcessRunner.Result
        do {
            result = try ProcessRunner.run(swift, ["package", "dump-package", "--package-path", directory], environment: environment)
        } catch {
            throw PluginLoadError(plugin: name, kind: .toolchainMissing, "cannot run \(swift): \(error)")
        }
        let text = result.output.joined(separator: "\n")
        guard result.status == 0, let start = text.firstIndex(of: "{"),
              let manifest = try? JSONSerialization.jsonObject(with: Data(text[start...].utf8)) as? [String: Any] else {
            let errors = result.output.filter { $0.contains("error") }.prefix(5).joined(separator: " | ")
            throw PluginLoadError(plugin: name, kind: .notASwiftPackage,
                                  "not a Swift package: cannot read \(directory)/Package.swift (\(errors.isEmpty ? text.suffix(300) : Substring(errors)))")
        }
        let products = (manifest["products"] as? [[String: Any]]) ?? []
        let dynamic = products.compactMap { product -> String? in
            guard let type = product["type"] as? [String: Any], let library = type["library"] as? [String],
                  library.contains("dynamic") else { return nil }
            return product["name"] as? String
        }
        guard let first = dynamic.first else {
            throw PluginLoadError(plugin: name, kind: .notASwiftPackage,
                                  "\(directory)/Package.swift declares no .library(type: .dynamic) product (see Plugins/template)")
        }
        return dynamic.first { $0.lowercased() == name.lowercased() } ?? first
    }

    /// Removes earlier builds of the same package directory (a running gateway keeps its mapping).
    private func pruneOldBuilds(of directory: String, keeping current: String) {
        let builds = "\(cacheDirectory)/builds"
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: builds)) ?? []
        where "\(builds)/\(entry)" != current && !entry.hasSuffix(".lock") {
            guard let source = FileManager.default.contents(atPath: "\(builds)/\(entry)/source"),
                  String(decoding: source, as: UTF8.self) == directory else { continue }
            try? FileManager.default.removeItem(atPath: "\(builds)/\(entry)")
        }
    }

    private static func library(in directory: String) -> String? {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return entries.first { $0.hasSuffix(".\(libraryExtension)") }.map { "\(directory)/\($0)" }
    }

    /// A plugin name made safe as a folder name.
    static func safe(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" })
    }

    static func seconds(_ duration: Duration) -> String {
        let value = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return String(format: "%.3f", value)
    }
}
