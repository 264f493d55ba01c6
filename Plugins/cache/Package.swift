// swift-tools-version: 6.1
import PackageDescription

// The `cache` plugin: exact-match response cache (memory LRU or Redis). A dynamic library the gateway loads
// (`type: "local"`), or a library product for direct instantiation.
let package = Package(
    name: "cache",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "CachePlugin", type: .dynamic, targets: ["CachePlugin"]),
    ],
    dependencies: [
        .package(path: Context.environment["BIFROST_PLUGIN_KIT_PATH"] ?? "../BifrostPluginKit"),
    ],
    targets: [
        .target(
            name: "CachePlugin",
            dependencies: [.product(name: "BifrostPluginKit", package: "BifrostPluginKit")],
            swiftSettings: [.swiftLanguageMode(.v6), .enableUpcomingFeature("ExistentialAny")]
        ),
    ]
)
