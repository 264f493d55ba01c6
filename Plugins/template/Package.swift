// swift-tools-version: 6.1
import PackageDescription

// A Bifrost plugin: one dynamic library product the gateway compiles and loads at start-up.
//
// The plugin API comes from the gateway itself: at start-up bifrost-http sets
// BIFROST_PLUGIN_KIT_PATH to the BifrostPluginKit source it was built from, so the plugin compiles
// against exactly the API it runs with. The fallback path serves `swift build`/`swift test` in a
// checkout, where this package sits in Plugins/<name>/ next to Plugins/BifrostPluginKit.
let kitPath = Context.environment["BIFROST_PLUGIN_KIT_PATH"] ?? "../BifrostPluginKit"

let package = Package(
    name: "TemplatePlugin",
    platforms: [.macOS(.v15)],
    products: [
        // Exactly one `.dynamic` library: that is what the gateway builds and dlopens.
        .library(name: "TemplatePlugin", type: .dynamic, targets: ["TemplatePlugin"]),
    ],
    dependencies: [
        .package(path: kitPath),
    ],
    targets: [
        .target(
            name: "TemplatePlugin",
            dependencies: [.product(name: "BifrostPluginKit", package: "BifrostPluginKit")],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .testTarget(
            name: "TemplatePluginTests",
            dependencies: ["TemplatePlugin", .product(name: "BifrostPluginKit", package: "BifrostPluginKit")],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)
