// swift-tools-version: 6.1
import PackageDescription

// The `auth` plugin: virtual keys for the gateway's clients. A dynamic library the gateway loads
// (`type: "local"`), or a library product for direct instantiation.
let package = Package(
    name: "auth",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "AuthPlugin", type: .dynamic, targets: ["AuthPlugin"]),
    ],
    dependencies: [
        .package(path: Context.environment["BIFROST_PLUGIN_KIT_PATH"] ?? "../BifrostPluginKit"),
    ],
    targets: [
        .target(
            name: "AuthPlugin",
            dependencies: [.product(name: "BifrostPluginKit", package: "BifrostPluginKit")],
            swiftSettings: [.swiftLanguageMode(.v6), .enableUpcomingFeature("ExistentialAny")]
        ),
    ]
)
