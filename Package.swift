// swift-tools-version:6.2
import PackageDescription

/// Settings every Swift target shares: Swift 6 language mode (strict concurrency) and no warnings.
let strictSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .treatAllWarnings(as: .error),
]

/// The numeric modules (the model, the routers, SHA-256) are compiled with -O in debug builds
/// too: unoptimised, the model's SIMD kernels run tens of times slower and a scorer spends
/// seconds hashing and unpacking its default artifacts, and every debug test that starts a
/// service pays for it.
let optimisedInDebug: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "Turnout",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "turnout", targets: ["turnout"]),
        .executable(name: "turnout-embedder", targets: ["turnout-embedder"]),
        .executable(name: "turnout-scorer", targets: ["turnout-scorer"]),
        .executable(name: "turnout-dispatcher", targets: ["turnout-dispatcher"]),
        .executable(name: "turnout-collector", targets: ["turnout-collector"]),
        .executable(name: "turnout-probe", targets: ["turnout-probe"]),
    ],
    targets: [
        // C libraries: the system shim (epoll, eventfd) and the system libraries the services link.
        .target(name: "CTurnoutSystem", path: "Shared/CTurnoutSystem"),
        .systemLibrary(name: "CSQLite", path: "Shared/CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CCurl", path: "Shared/CCurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .target(name: "CCurlShim", dependencies: ["CCurl"], path: "Shared/CCurlShim"),
        .systemLibrary(name: "COpenBLAS", path: "Shared/COpenBLAS", providers: [.apt(["libopenblas-dev"])]),

        // JSON without Foundation: the scanner and writer the wire, the routers and the dispatcher read and write with.
        .target(name: "TurnoutJSON", path: "Shared/TurnoutJSON", swiftSettings: strictSettings),
        // Protocol core: frames, envelopes, status codes, typed methods and codecs, handler registry. Knows nothing of sockets.
        .target(name: "TurnoutWire", dependencies: ["TurnoutJSON"], path: "Shared/TurnoutWire", swiftSettings: strictSettings),
        // Telemetry: structured logs, metrics, Prometheus text.
        .target(name: "TurnoutTelemetry", path: "Shared/TurnoutTelemetry", swiftSettings: strictSettings),

        // API modules: each service's methods, messages, codecs and typed client, on the wire layer alone.
        .target(name: "TurnoutEmbedderAPI", dependencies: ["TurnoutWire", "TurnoutJSON"], path: "Shared/TurnoutEmbedderAPI", swiftSettings: strictSettings),
        .target(name: "TurnoutScorerAPI", dependencies: ["TurnoutWire", "TurnoutJSON"], path: "Shared/TurnoutScorerAPI", swiftSettings: strictSettings),
        .target(name: "TurnoutCollectorAPI", dependencies: ["TurnoutWire", "TurnoutTelemetry"], path: "Shared/TurnoutCollectorAPI", swiftSettings: strictSettings),
        // Storage: SQLite in WAL mode, with recovery from damaged files.
        // Numeric modules are optimised in debug builds too (see `optimisedInDebug`).
        .target(name: "TurnoutStorage", dependencies: ["CSQLite"], path: "Shared/TurnoutStorage", swiftSettings: strictSettings + optimisedInDebug),
        // all-MiniLM-L6-v2 in Swift: safetensors reader, BERT tokenizer, encoder on OpenBLAS.
        .target(name: "TurnoutEmbedding", dependencies: ["COpenBLAS", "CTurnoutKernels"], path: "Shared/TurnoutEmbedding", swiftSettings: strictSettings + optimisedInDebug),
        // The embedding service's logic: cache, batching, backends, handlers.
        .target(
            name: "TurnoutEmbedder",
            dependencies: ["TurnoutWire", "TurnoutTelemetry", "TurnoutStorage", "TurnoutTransport", "TurnoutHTTPClient", "TurnoutRuntime", "TurnoutEmbedding", "TurnoutEmbedderAPI"],
            path: "Shared/TurnoutEmbedder",
            swiftSettings: strictSettings
        ),
        // HTTP client on libcurl's multi interface: one thread, many transfers, streaming.
        .target(
            name: "TurnoutHTTPClient",
            dependencies: ["CCurl", "CCurlShim"],
            path: "Shared/TurnoutHTTPClient",
            swiftSettings: strictSettings
        ),
        // The metrics collector's logic: metric reports, routing records, summaries, exposition.
        .target(
            name: "TurnoutCollector",
            dependencies: ["TurnoutWire", "TurnoutTelemetry", "TurnoutStorage", "TurnoutTransport", "TurnoutRuntime", "TurnoutCollectorAPI"],
            path: "Shared/TurnoutCollector",
            swiftSettings: strictSettings
        ),
        // sw_ranking's per-query loops in C: AVX2 picked at run time, which Swift cannot express.
        .target(name: "CTurnoutKernels", path: "Shared/CTurnoutKernels"),
        // Routing math: benchmark data, routers, training, calibration and evaluation.
        .target(name: "TurnoutRouting", dependencies: ["COpenBLAS", "CTurnoutKernels", "TurnoutStorage", "TurnoutJSON"], path: "Shared/TurnoutRouting", swiftSettings: strictSettings + optimisedInDebug),
        // The scoring service's logic: router artifacts from a directory, hot reload, Scorer/Score.
        .target(
            name: "TurnoutScorer",
            dependencies: ["TurnoutWire", "TurnoutTelemetry", "TurnoutTransport", "TurnoutRuntime", "TurnoutRouting", "TurnoutEmbedding", "TurnoutEmbedderAPI", "TurnoutScorerAPI"],
            path: "Shared/TurnoutScorer",
            swiftSettings: strictSettings
        ),
        // The dispatcher's logic: OpenAI-compatible front door, routing, upstream calls, records.
        .target(
            name: "TurnoutDispatcher",
            // Must never link the encoder, the routers or SQLite, even through another module: only the API modules.
            dependencies: ["TurnoutJSON", "TurnoutWire", "TurnoutTelemetry", "TurnoutTransport", "TurnoutHTTPClient", "TurnoutRuntime",
                           "TurnoutEmbedderAPI", "TurnoutScorerAPI", "TurnoutCollectorAPI"],
            path: "Shared/TurnoutDispatcher",
            swiftSettings: strictSettings
        ),
        // Transport: epoll event loops, the wire server and the client pool. Knows nothing of routers.
        .target(
            name: "TurnoutTransport",
            dependencies: ["TurnoutJSON", "TurnoutWire", "TurnoutTelemetry", "CTurnoutSystem"],
            path: "Shared/TurnoutTransport",
            swiftSettings: strictSettings
        ),
        // Service runtime: configuration, structured logs, signals, lifecycle.
        .target(
            name: "TurnoutRuntime",
            dependencies: ["TurnoutWire", "TurnoutTelemetry", "TurnoutTransport", "TurnoutCollectorAPI", "CTurnoutSystem"],
            path: "Shared/TurnoutRuntime",
            swiftSettings: strictSettings
        ),

        // Operator tools only the command-line tool (and tests and benchmarks) link: the local
        // stack `turnout up` supervises, and the echo service `turnout echo-server` answers with.
        .target(
            name: "TurnoutLocalStack",
            dependencies: ["TurnoutWire", "TurnoutTelemetry", "TurnoutTransport", "TurnoutRuntime"],
            path: "Shared/TurnoutLocalStack",
            swiftSettings: strictSettings
        ),
        .target(name: "TurnoutDiagnostics", dependencies: ["TurnoutWire"], path: "Shared/TurnoutDiagnostics", swiftSettings: strictSettings),

        // Executables.
        .executableTarget(
            name: "turnout",
            dependencies: ["TurnoutJSON", "TurnoutWire", "TurnoutTelemetry", "TurnoutTransport", "TurnoutRuntime", "TurnoutEmbedding", "TurnoutEmbedder",
                           "TurnoutEmbedderAPI", "TurnoutRouting", "TurnoutHTTPClient", "TurnoutLocalStack", "TurnoutDiagnostics"],
            path: "Services/turnout",
            swiftSettings: strictSettings
        ),

        .executableTarget(
            name: "turnout-embedder",
            dependencies: ["TurnoutEmbedder", "TurnoutEmbedding", "TurnoutRuntime"],
            path: "Services/turnout-embedder",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "turnout-scorer",
            dependencies: ["TurnoutScorer", "TurnoutRuntime"],
            path: "Services/turnout-scorer",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "turnout-dispatcher",
            dependencies: ["TurnoutDispatcher", "TurnoutRuntime"],
            path: "Services/turnout-dispatcher",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "turnout-collector",
            dependencies: ["TurnoutCollector", "TurnoutRuntime"],
            path: "Services/turnout-collector",
            swiftSettings: strictSettings
        ),
        // Container health check: Health/Check, exit 0 only when SERVING. Links only the wire protocol and transport.
        .executableTarget(
            name: "turnout-probe",
            dependencies: ["TurnoutWire", "TurnoutTransport", "TurnoutTelemetry"],
            path: "Services/turnout-probe",
            swiftSettings: strictSettings
        ),

        // Benchmarks: their own executable, run by `turnout bench`; load generators live here, not in the product.
        .executableTarget(
            name: "turnout-bench",
            dependencies: ["TurnoutJSON", "TurnoutWire", "TurnoutTelemetry", "TurnoutTransport", "TurnoutRuntime", "CTurnoutSystem", "TurnoutEmbedding",
                           "TurnoutEmbedder", "TurnoutEmbedderAPI", "TurnoutCollectorAPI", "COpenBLAS", "TurnoutRouting", "TurnoutHTTPClient", "TurnoutLocalStack", "TurnoutDiagnostics"],
            path: "Benchmarks/turnout-bench",
            swiftSettings: strictSettings
        ),

        // Tests.
        .executableTarget(
            name: "turnout-stub-upstream",
            dependencies: ["TurnoutTransport", "TurnoutTelemetry", "TurnoutWire", "TurnoutJSON", "TurnoutRouting"],
            path: "Tests/StubUpstream",
            swiftSettings: strictSettings
        ),
        .target(
            name: "TurnoutTestSupport",
            dependencies: ["TurnoutWire", "TurnoutTelemetry", "TurnoutTransport", "TurnoutRuntime", "TurnoutHTTPClient", "TurnoutCollectorAPI"],
            path: "Tests/TurnoutTestSupport",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "TurnoutWireTests",
            dependencies: ["TurnoutWire"],
            path: "Tests/TurnoutWireTests",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "TurnoutAPITests",
            dependencies: ["TurnoutEmbedderAPI", "TurnoutScorerAPI", "TurnoutCollectorAPI", "TurnoutWire", "TurnoutTestSupport"],
            path: "Tests/TurnoutAPITests",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "TurnoutStorageTests",
            dependencies: ["TurnoutStorage"],
            path: "Tests/TurnoutStorageTests",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "TurnoutHTTPClientTests",
            dependencies: ["TurnoutHTTPClient", "TurnoutTestSupport"],
            path: "Tests/TurnoutHTTPClientTests",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "TurnoutEmbeddingTests",
            dependencies: ["TurnoutEmbedding", "CTurnoutKernels"],
            path: "Tests/TurnoutEmbeddingTests",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "TurnoutEmbedderTests",
            dependencies: ["TurnoutEmbedder", "TurnoutEmbedderAPI", "TurnoutHTTPClient", "TurnoutTestSupport", "TurnoutWire", "TurnoutTelemetry", "TurnoutRuntime", "TurnoutTransport"],
            path: "Tests/TurnoutEmbedderTests",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "TurnoutTelemetryTests",
            dependencies: ["TurnoutTelemetry", "TurnoutTestSupport"],
            path: "Tests/TurnoutTelemetryTests",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "TurnoutCollectorTests",
            dependencies: ["TurnoutCollector", "TurnoutCollectorAPI", "TurnoutTelemetry", "TurnoutTransport", "TurnoutWire", "TurnoutHTTPClient", "TurnoutRuntime", "TurnoutTestSupport"],
            path: "Tests/TurnoutCollectorTests",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "TurnoutRoutingTests",
            dependencies: ["TurnoutRouting", "CTurnoutKernels", "TurnoutStorage"],
            path: "Tests/TurnoutRoutingTests",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "TurnoutDispatcherTests",
            dependencies: ["TurnoutDispatcher", "TurnoutCollectorAPI", "TurnoutEmbedderAPI", "TurnoutScorerAPI", "TurnoutLocalStack", "TurnoutJSON", "TurnoutTestSupport", "TurnoutHTTPClient", "TurnoutStorage", "TurnoutTelemetry", "TurnoutTransport", "TurnoutWire", "TurnoutRuntime"],
            path: "Tests/TurnoutDispatcherTests",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "TurnoutScorerTests",
            dependencies: ["TurnoutScorer", "TurnoutScorerAPI", "TurnoutRouting", "TurnoutRuntime", "TurnoutTransport", "TurnoutWire", "TurnoutTestSupport"],
            path: "Tests/TurnoutScorerTests",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "TurnoutRuntimeTests",
            dependencies: ["TurnoutTelemetry", "TurnoutTransport", "TurnoutRuntime"],
            path: "Tests/TurnoutRuntimeTests",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "TurnoutTransportTests",
            dependencies: ["TurnoutWire", "TurnoutTelemetry", "TurnoutTransport", "TurnoutRuntime", "TurnoutTestSupport", "TurnoutHTTPClient", "TurnoutDiagnostics"],
            path: "Tests/TurnoutTransportTests",
            swiftSettings: strictSettings
        ),
    ]
)
