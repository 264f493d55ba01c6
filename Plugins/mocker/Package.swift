// swift-tools-version: 6.1
import PackageDescription

// The `mocker` plugin: canned responses or errors by model pattern. A dynamic library the gateway loads
// (`type: "local"`), or a library product for direct instantiation.
let package = Package(
    name: "mocker",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "MockerPlugin", type: .dynamic, targets: ["MockerPlugin"]),
    ],
    dependencies: [
        .package(path: Context.environment["BIFROST_PLUGIN_KIT_PATH"] ?? "../BifrostPluginKit"),
    ],
    targets: [
        .target(
            name: "MockerPlugin",
            dependencies: [.product(name: "BifrostPluginKit", package: "BifrostPluginKit")],
            swiftSettings: [.swiftLanguageMode(.v6), .enableUpcomingFeature("ExistentialAny")]
        ),
    ]
)
