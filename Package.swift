// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "taskprof",
    products: [
        .executable(name: "taskprof", targets: ["taskprof"]),
        // The agent is injected into the profiled program with LD_PRELOAD.
        .library(name: "TaskProfAgent", type: .dynamic, targets: ["CTaskProfAgent"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        // The agent's raw stream, defined once (tp_raw_format.h): the agent writes it, the
        // reader in TaskProfRecord reads it by the same structs.
        .target(name: "CTaskProfFormat", cSettings: [.unsafeFlags(["-Wall", "-Wextra", "-Werror"])]),
        // The only code that runs inside the target process. C, async-signal-safe hot paths.
        .target(
            name: "CTaskProfAgent",
            dependencies: ["CTaskProfFormat"],
            // Warnings are errors: `make test` (and CI) builds the C targets clean of -Wall -Wextra.
            cSettings: [.unsafeFlags(["-fno-omit-frame-pointer", "-O2", "-fvisibility=hidden", "-Wall", "-Wextra", "-Werror"])],
            linkerSettings: [
                .linkedLibrary("dl"), .linkedLibrary("pthread"), .linkedLibrary("rt"),
            ]
        ),
        // Syscall and libdw shims for the command line tool (never loaded into the target).
        .target(
            name: "CTaskProfSupport",
            cSettings: [.unsafeFlags(["-Wall", "-Wextra", "-Werror"])],
            linkerSettings: [.linkedLibrary("dw"), .linkedLibrary("elf"), .linkedLibrary("z")]
        ),
        .target(name: "TaskProfModel"),
        .target(name: "TaskProfSymbolize", dependencies: ["TaskProfModel", "CTaskProfSupport"]),
        .target(name: "TaskProfAnalysis", dependencies: ["TaskProfModel", "TaskProfSymbolize"]),
        // The report pages are files in Web/, embedded in the binary at build time (WebPage.swift).
        .target(
            name: "TaskProfReports", dependencies: ["TaskProfModel", "TaskProfAnalysis"],
            resources: ["report.html", "report.css", "report.js", "common.js", "diff.html", "diff.css", "diff.js"]
                .map { .embedInCode("Web/" + $0) }
        ),
        // Formats other tools read: pprof (profile.proto, through swift-protobuf's runtime and
        // code generated once, Scripts/generate-proto.sh), speedscope.
        .target(
            name: "TaskProfExport",
            dependencies: [
                "TaskProfModel", "TaskProfAnalysis", "TaskProfReports", "CTaskProfSupport",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            exclude: ["Proto/profile.proto"]
        ),
        .target(name: "TaskProfRecord", dependencies: ["TaskProfModel", "TaskProfSymbolize", "CTaskProfSupport", "CTaskProfFormat"]),
        .executableTarget(
            name: "taskprof",
            dependencies: [
                "TaskProfModel", "TaskProfSymbolize", "TaskProfAnalysis", "TaskProfReports", "TaskProfRecord",
                "TaskProfExport", "CTaskProfSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Example programs: each shows one thing taskprof finds. See Examples/README.md.
        .executableTarget(name: "TwoTasks", path: "Examples/TwoTasks"),
        .executableTarget(name: "ExitCodes", path: "Examples/ExitCodes"),
        .executableTarget(name: "DeepStacks", path: "Examples/DeepStacks"),
        .executableTarget(name: "AsyncBench", path: "Examples/AsyncBench"),
        .executableTarget(name: "Churn", path: "Examples/Churn"),
        .executableTarget(name: "LongPoll", path: "Examples/LongPoll"),
        .executableTarget(name: "StarvedPool", path: "Examples/StarvedPool"),
        .executableTarget(name: "HiddenCPU", path: "Examples/HiddenCPU"),
        .executableTarget(name: "BlockingCalls", path: "Examples/BlockingCalls"),
        .executableTarget(name: "ActorBottleneck", path: "Examples/ActorBottleneck"),
        .executableTarget(name: "DiffBench", path: "Examples/DiffBench"),
        .executableTarget(name: "AsyncChain", path: "Examples/AsyncChain"),
        .executableTarget(name: "CustomExecutor", path: "Examples/CustomExecutor"),
        .executableTarget(name: "TinyLeaf", path: "Examples/TinyLeaf"),
        .executableTarget(name: "LockStress", path: "Examples/LockStress"),
        .executableTarget(name: "StuckTasks", path: "Examples/StuckTasks"),
        .executableTarget(
            name: "NIOStall",
            dependencies: [.product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio")],
            path: "Examples/NIOStall"
        ),

        // Helpers and hand-built profiles both test targets share.
        .target(name: "TaskProfTestSupport", dependencies: ["TaskProfModel"], path: "Tests/TaskProfTestSupport"),
        // Unit tests: fixed inputs, golden files; no release build needed.
        .testTarget(
            name: "TaskProfTests",
            dependencies: [
                "TaskProfModel", "TaskProfSymbolize", "TaskProfAnalysis", "TaskProfReports", "TaskProfRecord",
                "TaskProfExport", "CTaskProfSupport", "CTaskProfFormat", "TaskProfTestSupport",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            exclude: ["Golden"]  // expected outputs, read by GoldenTests from the source tree
        ),
        // End-to-end tests: record the release-built examples and tools (`make test` builds them first).
        .testTarget(
            name: "TaskProfEndToEndTests",
            dependencies: [
                "TaskProfModel", "TaskProfSymbolize", "TaskProfAnalysis", "TaskProfReports", "TaskProfRecord",
                "TaskProfExport", "CTaskProfSupport", "CTaskProfFormat", "TaskProfTestSupport",
            ],
        ),
    ]
)
