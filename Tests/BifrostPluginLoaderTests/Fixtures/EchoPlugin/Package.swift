// swift-tools-version: 6.1
import PackageDescription

// A test plugin for BifrostPluginLoaderTests: built by the gateway at start-up like any local plugin.
let package = Package(
    name: "EchoPlugin",
    platforms: [.macOS(.v15)],
    products: [.library(name: "EchoPlugin", type: .dynamic, targets: ["EchoPlugin"])],
    dependencies: [.package(path: Context.environment["BIFROST_PLUGIN_KIT_PATH"] ?? "../../../../Plugins/BifrostPluginKit")],
    targets: [
        .target(name: "EchoPlugin", dependencies: [.product(name: "BifrostPluginKit", package: "BifrostPluginKit")],
                swiftSettings: [.swiftLanguageMode(.v6)]),
    ]
)
