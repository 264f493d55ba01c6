import BifrostPluginKit
import BifrostTestSupport
import Foundation

/// One temporary directory per test run, shared by the loader tests so that each fixture plugin is
/// compiled once: config files go at its top, plugin sources under `plugins/`, and the gateway's
/// default cache (`.bifrost/plugins` next to the config file) collects the builds.
enum PluginWorkspace {
    static let root: String = {
        let temporary = FileManager.default.temporaryDirectory.path
        // Builds are large (SwiftPM scratch): remove what earlier runs left behind.
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: temporary)) ?? []
        where entry.hasPrefix("bifrost-loader-tests-") {
            guard let pid = Int32(entry.dropFirst("bifrost-loader-tests-".count)), pid != getpid(), kill(pid, 0) != 0 else { continue }
            try? FileManager.default.removeItem(atPath: "\(temporary)/\(entry)")
        }
        let path = "\(temporary)/bifrost-loader-tests-\(getpid())"
        try? FileManager.default.removeItem(atPath: path)
        try! FileManager.default.createDirectory(atPath: "\(path)/plugins", withIntermediateDirectories: true)
        return path
    }()

    /// The repository's fixture plugin packages.
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path

    /// The echo fixture copied to `plugins/echo` (config: `"source": "./plugins/echo"`).
    static let echo: String = {
        let target = "\(root)/plugins/echo"
        try! FileManager.default.copyItem(atPath: "\(fixtures)/EchoPlugin", toPath: target)
        return target
    }()

    /// Writes `config.json`-style text to `name` in the workspace and returns its path.
    static func config(_ name: String, _ json: String) throws -> String {
        let path = "\(root)/\(name)"
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// A one-plugin config: `plugin` is the JSON of the `plugins` entry.
    static func config(_ name: String, plugin: String, providers: String = "{}") throws -> String {
        try config(name, #"{"providers": \#(providers), "plugins": [\#(plugin)]}"#)
    }

    /// Creates a package at `plugins/<name>` with one dynamic product and `source` as its only file.
    /// No kit dependency: these compile in a second or two.
    @discardableResult
    static func package(_ name: String, source: String) throws -> String {
        let directory = "\(root)/plugins/\(name)"
        try FileManager.default.createDirectory(atPath: "\(directory)/Sources/\(name)", withIntermediateDirectories: true)
        let manifest = """
            // swift-tools-version: 6.1
            import PackageDescription
            let package = Package(name: "\(name)", products: [.library(name: "\(name)", type: .dynamic, targets: ["\(name)"])],
                                  targets: [.target(name: "\(name)")])
            """
        try Data(manifest.utf8).write(to: URL(fileURLWithPath: "\(directory)/Package.swift"))
        try Data(source.utf8).write(to: URL(fileURLWithPath: "\(directory)/Sources/\(name)/\(name).swift"))
        return directory
    }

    /// A git repository at `remote/repo` holding the echo fixture under `plugins/echo` (with one
    /// extra file, so it is compiled rather than found in the cache), tagged `1.0.0`.
    static let remoteRepository: String = {
        let repository = "\(root)/remote/repo"
        try! FileManager.default.createDirectory(atPath: "\(repository)/plugins", withIntermediateDirectories: true)
        try! FileManager.default.copyItem(atPath: "\(fixtures)/EchoPlugin", toPath: "\(repository)/plugins/echo")
        try! Data("let fetchedFromGit = true\n".utf8)
            .write(to: URL(fileURLWithPath: "\(repository)/plugins/echo/Sources/EchoPlugin/Remote.swift"))
        let steps: [[String]] = [["init", "--quiet"], ["add", "."],
                                 ["-c", "user.name=test", "-c", "user.email=test@example.com", "commit", "--quiet", "-m", "echo"],
                                 ["tag", "1.0.0"]]
        for arguments in steps {
            let git = Process()
            git.executableURL = URL(fileURLWithPath: "/usr/bin/git")
            git.arguments = ["-C", repository] + arguments
            try! git.run()
            git.waitUntilExit()
        }
        return repository
    }()

    /// Runs `bifrost-http` with `config` until it listens (returns the process) or exits.
    static func start(_ config: String, environment: [String: String] = [:]) throws -> ChildProcess {
        try ChildProcess(ChildProcess.gatewayBinary, ["-config", config, "-host", "127.0.0.1", "-port", "0"], environment: environment)
    }

    /// The plugin ABI version, for generated fixtures.
    static var abiVersion: UInt32 { BifrostPluginABI.version }
}
