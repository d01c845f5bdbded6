// swift-tools-version:6.1
// Standalone example (not part of the main package): one package-benchmark
// executable with two benchmarks ("tasks", "sorting") and one XCTest target.
import PackageDescription

let package = Package(
    name: "BenchPackage",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "BenchPackageLib", targets: ["BenchPackageLib"]),
    ],
    dependencies: [
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .target(name: "BenchPackageLib"),
        .testTarget(name: "BenchPackageTests", dependencies: ["BenchPackageLib"]),
        .executableTarget(
            name: "BenchPackageBenchmarks",
            dependencies: [.product(name: "Benchmark", package: "benchmark")],
            path: "Benchmarks/BenchPackageBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
