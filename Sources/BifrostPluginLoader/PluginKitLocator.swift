import Foundation

/// Finds the plugin API's source package (`Plugins/BifrostPluginKit`) that this gateway was built
/// from, so plugins compile against exactly the API they run with. Plugin packages read its path
/// from `BIFROST_PLUGIN_KIT_PATH` (see `Plugins/template/Package.swift`).
///
/// Looked for, in order:
/// 1. `$BIFROST_PLUGIN_KIT_PATH` (an explicit override; must exist);
/// 2. an install next to the executable: `<bin dir>/plugin-kit/BifrostPluginKit` (the Docker image
///    puts it at `/app/plugin-kit/BifrostPluginKit`);
/// 3. `/usr/local/share/bifrost/plugin-kit/BifrostPluginKit`;
/// 4. a repository checkout: `Plugins/BifrostPluginKit` in the executable's directory or any parent
///    (covers `.build/debug/bifrost-http`, `.build/release/bifrost-http` and other scratch paths).
///
/// The folder must be called `BifrostPluginKit`: SwiftPM names a path dependency after its last
/// path component, and plugins ask for `package: "BifrostPluginKit"`.
public enum PluginKitLocator {
    /// The environment variable that overrides the search and that plugin packages read.
    public static let environmentVariable = "BIFROST_PLUGIN_KIT_PATH"
    /// The system-wide install location.
    public static let installedPath = "/usr/local/share/bifrost/plugin-kit/BifrostPluginKit"

    /// The kit's directory, or nil when none of the places above holds one.
    public static func locate(environment: [String: String], executable: String = executablePath()) -> String? {
        if let explicit = environment[environmentVariable], !explicit.isEmpty {
            return isKit(explicit) ? standardized(explicit) : nil
        }
        let binDirectory = (executable as NSString).deletingLastPathComponent
        for candidate in ["\(binDirectory)/plugin-kit/BifrostPluginKit", installedPath] where isKit(candidate) {
            return standardized(candidate)
        }
        var directory = binDirectory
        while !directory.isEmpty && directory != "/" {
            let candidate = "\(directory)/Plugins/BifrostPluginKit"
            if isKit(candidate) { return standardized(candidate) }
            directory = (directory as NSString).deletingLastPathComponent
        }
        return nil
    }

    /// Where `locate` looked, for the error message when it finds nothing.
    public static func searchDescription(environment: [String: String]) -> String {
        if let explicit = environment[environmentVariable], !explicit.isEmpty {
            return "\(environmentVariable)=\(explicit) holds no Package.swift (or its folder is not named BifrostPluginKit)"
        }
        return "not next to the executable (plugin-kit/BifrostPluginKit), not at \(installedPath) and not in a repository "
            + "checkout above it; set \(environmentVariable) to the gateway's Plugins/BifrostPluginKit"
    }

    /// The running executable (`/proc/self/exe` on Linux).
    public static func executablePath() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    private static func isKit(_ path: String) -> Bool {
        (path as NSString).lastPathComponent == "BifrostPluginKit"
            && FileManager.default.fileExists(atPath: "\(path)/Package.swift")
    }

    private static func standardized(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }
}
