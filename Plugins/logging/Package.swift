// swift-tools-version: 6.1
import PackageDescription

// The `logging` plugin: one JSON line per request to a rotating file, written off the request path. A dynamic library the gateway loads
// (`type: "local"`), or a library product for direct instantiation.
let package = Package(
    name: "logging",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "LoggingPlugin", type: .dynamic, targets: ["LoggingPlugin"]),
    ],
    dependencies: [
        .package(path: Context.environment["BIFROST_PLUGIN_KIT_PATH"] ?? "../BifrostPluginKit"),
    ],
    targets: [
        .target(
            name: "LoggingPlugin",
            dependencies: [.product(name: "BifrostPluginKit", package: "BifrostPluginKit")],
            swiftSettings: [.swiftLanguageMode(.v6), .enableUpcomingFeature("ExistentialAny")]
        ),
    ]
)
