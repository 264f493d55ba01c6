import BifrostCore
import Foundation
import Logging

/// Turns a `config.json` plugin entry into a package directory on disk.
///
/// - `local`: `source` is the directory itself; a relative path resolves against the config file's
///   directory. It is built in place with an outside `--scratch-path`, so it may be read-only.
/// - `remote`: `source` is a git URL (`https://…`, `ssh://…`, `git@host:org/repo.git`, `file://…`;
///   a bare `github.com/org/repo` gets `https://`), optionally followed by `//sub/dir` for a package
///   inside the repository, and `version` is a tag or a commit.
///
/// Remote sources are fetched with `git clone` into the cache rather than through SwiftPM: SwiftPM
/// only builds products of a root package, so fetching through it would mean generating a wrapper
/// package whose dependency is the plugin and then digging the dependency's dynamic product out of
/// its build; a plain clone gives the loader the same layout as a local plugin (one code path for
/// hashing, building and errors) and SwiftPM still resolves the plugin's own dependencies when it
/// builds it. A checkout is keyed by URL and version and never refreshed (tags and commits are
/// treated as immutable), so a restart needs no network.
struct PluginSourceFetcher {
    let cacheDirectory: String
    let configDirectory: String
    let environment: [String: String]
    let logger: Logger

    /// The package directory for `plugin`, fetched if needed.
    func packageDirectory(for plugin: PluginConfig) throws(PluginLoadError) -> String {
        let directory: String
        switch plugin.kind {
        case .local:
            directory = plugin.source.hasPrefix("/") ? plugin.source : "\(configDirectory)/\(plugin.source)"
        case .remote:
            directory = try fetch(plugin)
        }
        let standardized = URL(fileURLWithPath: directory).standardizedFileURL.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: standardized, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw PluginLoadError(plugin: plugin.name, kind: .sourceNotFound,
                                  "source not found: \(standardized) is not a directory (source \"\(plugin.source)\"; relative paths start at the config file's directory)")
        }
        guard FileManager.default.fileExists(atPath: "\(standardized)/Package.swift") else {
            throw PluginLoadError(plugin: plugin.name, kind: .notASwiftPackage,
                                  "not a Swift package: \(standardized) has no Package.swift (start from Plugins/template)")
        }
        return standardized
    }

    private func fetch(_ plugin: PluginConfig) throws(PluginLoadError) -> String {
        let (url, subdirectory) = Self.split(plugin.source)
        guard let version = plugin.version, !version.isEmpty else {
            throw PluginLoadError(plugin: plugin.name, kind: .fetchFailed,
                                  "a remote plugin needs \"version\": a tag (e.g. \"1.2.0\") or a commit of \(url)")
        }
        let checkout = "\(cacheDirectory)/sources/\(plugin.name)-\(SourceHasher.digest("\(url)\n\(version)").prefix(16))"
        let package = subdirectory.isEmpty ? checkout : "\(checkout)/\(subdirectory)"
        if FileManager.default.fileExists(atPath: checkout) { return package }
        guard let git = ProcessRunner.which("git", environment: environment) else {
            throw PluginLoadError(plugin: plugin.name, kind: .fetchFailed, "cannot fetch \(url): git is not installed")
        }
        logger.info("fetching plugin", metadata: ["plugin": "\(plugin.name)", "url": "\(url)", "version": "\(version)"])
        let temporary = "\(checkout).tmp-\(getpid())"
        try? FileManager.default.removeItem(atPath: temporary)
        var environment = self.environment
        environment["GIT_TERMINAL_PROMPT"] = "0"
        var failure: [String] = []
        do {
            // A tag (or branch): one shallow clone. Otherwise a full clone and a checkout of the commit.
            var result = try ProcessRunner.run(git, ["clone", "--quiet", "--depth", "1", "--branch", version, url, temporary],
                                               environment: environment)
            if result.status != 0 {
                try? FileManager.default.removeItem(atPath: temporary)
                result = try ProcessRunner.run(git, ["clone", "--quiet", url, temporary], environment: environment)
                if result.status == 0 {
                    result = try ProcessRunner.run(git, ["-C", temporary, "checkout", "--quiet", "--detach", version], environment: environment)
                }
            }
            failure = result.status == 0 ? [] : result.output
        } catch {
            failure = ["\(error)"]
        }
        guard failure.isEmpty else {
            try? FileManager.default.removeItem(atPath: temporary)
            let detail = failure.filter { !$0.isEmpty }.suffix(3).joined(separator: " | ")
            throw PluginLoadError(plugin: plugin.name, kind: .fetchFailed,
                                  "module not found: cannot fetch \(url) at \"\(version)\" (\(detail))")
        }
        do {
            try FileManager.default.createDirectory(atPath: "\(cacheDirectory)/sources", withIntermediateDirectories: true)
            try FileManager.default.moveItem(atPath: temporary, toPath: checkout)
        } catch {
            // Another gateway finished the same checkout first: use theirs.
            try? FileManager.default.removeItem(atPath: temporary)
            if !FileManager.default.fileExists(atPath: checkout) {
                throw PluginLoadError(plugin: plugin.name, kind: .cacheUnavailable, "cannot store the checkout in \(checkout): \(error)")
            }
        }
        return package
    }

    /// `https://host/repo.git//plugins/auth` → (`https://host/repo.git`, `plugins/auth`).
    static func split(_ source: String) -> (url: String, subdirectory: String) {
        var url = source
        if !url.contains("://") && !url.contains("@") && !url.hasPrefix("/") { url = "https://\(url)" }
        let scheme = url.range(of: "://")?.upperBound ?? url.startIndex
        // `file:///path` keeps its leading slash: look for the separator after it.
        let searchStart = url[scheme...].hasPrefix("/") ? url.index(after: scheme) : scheme
        guard let separator = url.range(of: "//", range: searchStart..<url.endIndex) else { return (url, "") }
        let subdirectory = url[separator.upperBound...].trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        return (String(url[..<separator.lowerBound]), subdirectory)
    }
}
