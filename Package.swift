// swift-tools-version: 6.2
import PackageDescription

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    // Release builds skip the run-time exclusivity checks (about 1% of the request path's CPU);
    // debug builds, which the tests run, keep them, so a violation still fails there. They also
    // optimise across modules (small accessors and generics of BifrostHTTP/IO inlined where the
    // request path calls them: about 5% less user CPU per proxied request).
    .unsafeFlags(["-enforce-exclusivity=unchecked", "-cross-module-optimization"], .when(configuration: .release)),
]

/// Modules on the request path: their nonisolated async functions run on the caller's executor (the
/// request's event loop) instead of hopping, which costs a `swift_task_switch` and a status-record
/// lock per call.
let onCallersExecutor = strict + [.enableUpcomingFeature("NonisolatedNonsendingByDefault")]

let package = Package(
    name: "bifrost-swift",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "bifrost-http", targets: ["bifrost-http"]),
        .executable(name: "bifrost-mock", targets: ["bifrost-mock"]),
        .library(name: "BifrostCore", targets: ["BifrostCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        // The plugin API, a dynamic library in a package of its own (see Plugins/BifrostPluginKit).
        .package(path: "Plugins/BifrostPluginKit"),
        // The bundled plugins, linked directly by their tests (the gateway loads them with type "local").
        .package(path: "Plugins/auth"),
        .package(path: "Plugins/cache"),
        .package(path: "Plugins/logging"),
        .package(path: "Plugins/mocker"),
        .package(path: "Plugins/ratelimit"),
    ],
    targets: [
        // Linux system calls Swift cannot see through Glibc: epoll, eventfd, timerfd, accept4.
        .target(
            name: "CBifrostSystem",
            cSettings: [.define("_GNU_SOURCE")]
        ),
        // OpenSSL (libssl, libcrypto) with shims for the macros Swift cannot import.
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        // zlib, for gzip/deflate bodies.
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // Event loops (one thread each), the errno policy, sockets and timers.
        .target(
            name: "BifrostIO",
            dependencies: ["CBifrostSystem"],
            swiftSettings: strict
        ),
        // TLS over OpenSSL on non-blocking sockets: contexts, sessions, handshake/read/write mapping.
        .target(
            name: "BifrostTLS",
            dependencies: ["BifrostIO", "COpenSSL"],
            swiftSettings: strict
        ),
        // HTTP/1.1: request parser, response encoder, server connections and limits.
        .target(
            name: "BifrostHTTP",
            dependencies: ["BifrostIO", "BifrostTLS", "CZlib", .product(name: "Logging", package: "swift-log")],
            swiftSettings: onCallersExecutor
        ),
        // The engine: plugin pipeline, provider queues, keys, retries, fallbacks, config model.
        .target(
            name: "BifrostCore",
            dependencies: [
                "BifrostIO",  // decimal digits for JSONWriter
                .product(name: "BifrostPluginKit", package: "BifrostPluginKit"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // Engine-internal async functions run on their caller's executor (no hop per call).
            swiftSettings: onCallersExecutor
        ),
        // Prometheus metrics: the built-in plugin (upstream calls) and HTTP exchange metrics.
        .target(
            name: "BifrostMetrics",
            dependencies: [
                "BifrostCore",  // SynchronousPluginHooks
                "BifrostHTTP",
                "BifrostIO",  // the monotonic clock for upstream latency
                .product(name: "BifrostPluginKit", package: "BifrostPluginKit"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: onCallersExecutor
        ),
        // Provider adapters: one file per provider family, over the in-house HTTP client.
        .target(
            name: "BifrostProviders",
            dependencies: [
                "BifrostCore", "BifrostHTTP", "BifrostIO", "BifrostTLS", "CZlib",
                .product(name: "BifrostPluginKit", package: "BifrostPluginKit"),
            ],
            swiftSettings: onCallersExecutor
        ),
        // Dynamic plugins from config.json: fetch (git), compile (swift build, cached), dlopen and Init.
        .target(
            name: "BifrostPluginLoader",
            dependencies: [
                "BifrostCore", "BifrostTLS",
                .product(name: "BifrostPluginKit", package: "BifrostPluginKit"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The gateway's HTTP face: config loading, routes, logging, server lifecycle.
        .target(
            name: "BifrostTransport",
            dependencies: [
                "BifrostCore",
                "BifrostRedis",
                "BifrostPluginLoader",
                "BifrostProviders",
                "BifrostMetrics",
                .product(name: "BifrostPluginKit", package: "BifrostPluginKit"),
                "BifrostHTTP",
                "BifrostTLS",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: onCallersExecutor
        ),
        // What the executables share: log set-up and stop signals.
        .target(
            name: "BifrostCLI",
            dependencies: [
                "BifrostIO",
                "BifrostTLS",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The executable: flags and wiring only.
        .executableTarget(
            name: "bifrost-http",
            dependencies: [
                "BifrostCLI",
                "BifrostIO",
                "BifrostPluginLoader",
                "BifrostTransport",
                "BifrostTLS",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // An OpenAI- and Anthropic-compatible upstream with fault injection, for tests, benchmarks and the demo.
        .target(
            name: "BifrostMock",
            dependencies: ["BifrostHTTP", "CZlib"],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "bifrost-mock",
            dependencies: [
                "BifrostCLI",
                "BifrostMock",
                "BifrostHTTP",
                "BifrostIO",
                "BifrostTLS",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // An in-house Redis (RESP2) client on the gateway's event loops, lent to plugins through PluginServices.
        .target(
            name: "BifrostRedis",
            dependencies: ["BifrostIO", "BifrostTLS", .product(name: "BifrostPluginKit", package: "BifrostPluginKit")],
            swiftSettings: strict
        ),
        // Shared by the test targets: certificates generated with the openssl command.
        .target(
            name: "BifrostTestSupport",
            dependencies: ["BifrostHTTP", "BifrostIO", "BifrostTLS"],
            path: "Tests/BifrostTestSupport",
            swiftSettings: strict
        ),
        // A load generator for the HTTP client (`make bench-client`).
        .executableTarget(
            name: "bifrost-bench-client",
            dependencies: ["BifrostHTTP", "BifrostIO", "BifrostTLS"],
            path: "Benchmarks/bifrost-bench-client",
            swiftSettings: strict
        ),
        .testTarget(name: "BifrostMockTests", dependencies: ["BifrostMock", "BifrostHTTP", "BifrostIO", "BifrostTestSupport"], swiftSettings: strict),
        .testTarget(
            name: "BifrostClientTests",
            dependencies: ["BifrostHTTP", "BifrostIO", "BifrostTLS", "BifrostTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "BifrostCoreTests",
            dependencies: ["BifrostCore", .product(name: "BifrostPluginKit", package: "BifrostPluginKit"),
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "BifrostMetricsTests",
            dependencies: ["BifrostMetrics", "BifrostHTTP", "BifrostTestSupport",
                           .product(name: "BifrostPluginKit", package: "BifrostPluginKit")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "BundledPluginTests",
            dependencies: [
                "BifrostCore", "BifrostTransport", "BifrostTestSupport", "BifrostHTTP", "BifrostIO", "BifrostTLS", "BifrostMock",
                .product(name: "BifrostPluginKit", package: "BifrostPluginKit"),
                .product(name: "AuthPlugin", package: "auth"),
                .product(name: "CachePlugin", package: "cache"),
                .product(name: "LoggingPlugin", package: "logging"),
                .product(name: "MockerPlugin", package: "mocker"),
                .product(name: "RateLimitPlugin", package: "ratelimit"), "BifrostRedis",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "BifrostIOTests", dependencies: ["BifrostIO"], swiftSettings: strict),
        .testTarget(name: "BifrostRedisTests", dependencies: ["BifrostRedis", "BifrostIO", "BifrostTestSupport",
                    .product(name: "BifrostPluginKit", package: "BifrostPluginKit")], swiftSettings: strict),
        .testTarget(name: "BifrostCLITests", dependencies: ["BifrostCLI", .product(name: "Logging", package: "swift-log")],
                    swiftSettings: strict),
        .testTarget(name: "BifrostHTTPTests", dependencies: ["BifrostHTTP"], swiftSettings: strict),
        .testTarget(
            name: "BifrostTransportTests",
            dependencies: ["BifrostTransport", "BifrostCore", "BifrostTestSupport", "BifrostMock", "BifrostTLS",
                           .product(name: "BifrostPluginKit", package: "BifrostPluginKit"), "BifrostHTTP", "BifrostIO", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "BifrostProvidersTests",
            dependencies: ["BifrostProviders", "BifrostCore", "BifrostHTTP", "BifrostIO", "BifrostTLS", "BifrostMock",
                           "BifrostTestSupport", .product(name: "BifrostPluginKit", package: "BifrostPluginKit")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "BifrostPluginLoaderTests",
            dependencies: ["BifrostPluginLoader", "BifrostCore", "BifrostIO", "BifrostTestSupport",
                           .product(name: "BifrostPluginKit", package: "BifrostPluginKit")],
            exclude: ["Fixtures"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "BifrostServerTests",
            dependencies: ["BifrostHTTP", "BifrostTransport", "BifrostIO", "BifrostTLS", "BifrostTestSupport"],
            swiftSettings: strict
        ),
    ]
)
