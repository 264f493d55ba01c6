// swift-tools-version: 6.1
import Foundation
import PackageDescription

// In-process cost of one request through the engine (`make bench-core`, scripts/bench-core.sh).
// A package of its own so that ordo-one/benchmark and its dependencies never enter the gateway's
// build. Run it through the plugin, from this directory:
//   swift package --allow-writing-to-package-directory benchmark run --target BifrostCoreBenchmarks

// A path dependency's identity is the last component of its path, i.e. the name of the folder the
// repository was cloned into ("main" here); work it out so that any clone folder builds.
let gatewayIdentity = URL(fileURLWithPath: Context.packageDirectory)
    .appendingPathComponent("../..").standardizedFileURL.lastPathComponent.lowercased()

let package = Package(
    name: "BifrostCoreBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: "../.."),
        .package(path: "../../Plugins/BifrostPluginKit"),
        // MallocInterposer only: the malloc counters, without the ARC runtime interposer.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "BifrostCoreBenchmarks",
            dependencies: [
                .product(name: "BifrostCore", package: gatewayIdentity),
                .product(name: "BifrostPluginKit", package: "BifrostPluginKit"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/BifrostCoreBenchmarks",
            swiftSettings: [.swiftLanguageMode(.v6), .enableUpcomingFeature("ExistentialAny")],
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark"),
            ]
        ),
    ]
)
