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
            swiftSettings: [
                .swiftLanguageMode(.v6), .enableUpcomingFeature("ExistentialAny"),
                // Library evolution: plugins reach the kit's types through resilient (size- and
                // layout-independent) access, so a plugin compiled against an older kit keeps working
                // after a compatible gateway upgrade instead of reading fields at stale offsets.
                // unsafeFlags are accepted here because the gateway and plugins depend on this package
                // by local path.
                // Public enums are @frozen (clients switch over them without `@unknown default`), and
                // so are the structs on the per-request path (BifrostRequest and BifrostResponse, whose
                // fields live in a resilient box; BifrostError, ErrorField, PluginShortCircuit): adding
                // an enum case or a stored property to one of these is an ABI change, so bump
                // BifrostPluginABI.version with it (plugins are then refused until rebuilt, and the
                // gateway's compile cache rebuilds them).
                .unsafeFlags(["-enable-library-evolution"]),
                // As in the gateway: release builds skip the run-time exclusivity checks (the field
                // accessors of BifrostRequest and BifrostResponse made about 30 per request); debug
                // builds, which the tests run, keep them.
                .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
            ]
        ),
    ]
)
