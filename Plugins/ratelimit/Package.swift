// swift-tools-version: 6.1
import PackageDescription

// The `ratelimit` plugin: token buckets on requests and tokens per minute, in memory or shared
// through Redis. A dynamic library the gateway loads (`type: "local"`), or a library product for
// direct instantiation.
let package = Package(
    name: "ratelimit",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "RateLimitPlugin", type: .dynamic, targets: ["RateLimitPlugin"]),
    ],
    dependencies: [
        .package(path: Context.environment["BIFROST_PLUGIN_KIT_PATH"] ?? "../BifrostPluginKit"),
    ],
    targets: [
        .target(
            name: "RateLimitPlugin",
            dependencies: [.product(name: "BifrostPluginKit", package: "BifrostPluginKit")],
            swiftSettings: [.swiftLanguageMode(.v6), .enableUpcomingFeature("ExistentialAny")]
        ),
    ]
)
