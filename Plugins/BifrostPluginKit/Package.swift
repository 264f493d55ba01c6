// swift-tools-version: 6.1
import PackageDescription

// The plugin API: schemas, the Plugin protocol and the request context. It is a package of its own
// and a dynamic library so that the gateway and separately built plugins share one copy of its types.
let package = Package(
    name: "BifrostPluginKit",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "BifrostPluginKit", type: .dynamic, targets: ["BifrostPluginKit"]),
    ],
    targets: [
        .target(
            name: "BifrostPluginKit",
            swiftSettings: [.swiftLanguageMode(.v6), .enableUpcomingFeature("ExistentialAny")]
        ),
    ]
)
