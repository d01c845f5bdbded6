import Foundation
import TaskProfModel
import TaskProfAnalysis
import TaskProfTestSupport
import XCTest

/// Issue 19: the README's recipes for wrapping a benchmark run and a test run, end to end on
/// Examples/BenchPackage (a package-benchmark target with benchmarks "tasks" and "sorting", and
/// an XCTest target). Building package-benchmark takes about a minute the first time.
final class BenchmarkRecipeTests: XCTestCase {
    private var package: String { TestSupport.packageRoot + "/Examples/BenchPackage" }

    /// Runs `taskprof record -o OUT ARGS` in the example package; returns the result and profile.
    private func record(_ args: [String]) throws -> (TestSupport.Result, Profile) {
        let out = try TestSupport.tempDir() + "/run.taskprof"
        let taskprof = try TestSupport.binary("taskprof")
        let quoted = ([taskprof, "record", "-o", out] + args).map { "'\($0)'" }.joined(separator: " ")
        let r = try TestSupport.run(["/bin/sh", "-c", "cd '\(package)' && exec \(quoted)"])
        XCTAssertEqual(r.status, 0, r.stderr.suffix(3000) + "")
        return (r, try ProfileFile.read(path: out))
    }

    /// The processes of a profile with their samples, busiest first.
    private func busiest(_ p: Profile) -> [(index: Int, samples: UInt64)] {
        var n = [UInt64](repeating: 0, count: p.processes.count)
        for s in p.samples { n[Int(p.threads[Int(s.thread)].process)] += UInt64(s.count) }
        return n.enumerated().map { ($0.offset, $0.element) }.sorted { $0.samples > $1.samples }
    }

    func testPackageBenchmarkRecipeProfilesTheBenchmarkOnly() throws {
        let (r, p) = try record([
            "--process", "BenchPackageBenchmarks", "--",
            "swift", "package", "--allow-writing-to-package-directory", "benchmark", "--filter", "tasks",
        ])
        // Only the benchmark executable was profiled: not the driver, SwiftPM, the compilers, the
        // plugin or BenchmarkTool (whose command line names the benchmark target too).
        XCTAssertGreaterThanOrEqual(p.processes.count, 2, "the listing process and the run of \"tasks\"")
        XCTAssertEqual(Set(p.processes.map(\.name)), ["BenchPackageBenchmarks"], "\(p.processes.map(\.label))")
        let top = try XCTUnwrap(busiest(p).first)
        let bench = p.process(at: top.index)
        XCTAssertGreaterThan(top.samples, 300, "the benchmark ran for about a second")
        XCTAssertEqual(bench.functionStats().first?.shortName, "benchPackageChecksum(_:)", "the benchmark's own function leads its profile")
        XCTAssertEqual(p.processStats()[top.index].hottestFunction, "benchPackageChecksum(_:)")
        XCTAssertGreaterThan(bench.tasks.count, 100, "the task group's child tasks are seen: \(bench.tasks.count)")
        // One summary: one run header, then the process table.
        XCTAssertEqual(r.stderr.components(separatedBy: "taskprof: swift package").count - 1, 1, r.stderr.suffix(2000) + "")
        XCTAssertTrue(r.stderr.contains("Processes (by samples"), r.stderr.suffix(2000) + "")
    }

    /// Both benchmarks in one run: each ran in a process of its own, told apart by the hottest
    /// function of its own code.
    func testEachBenchmarkIsToldApart() throws {
        let (_, p) = try record([
            "--process", "BenchPackageBenchmarks", "--",
            "swift", "package", "--allow-writing-to-package-directory", "benchmark",
        ])
        let hottest = p.processStats().map(\.hottestFunction)
        let ranked = busiest(p).prefix(2).map { hottest[$0.index] }
        XCTAssertEqual(Set(ranked.compactMap { $0 }), ["benchPackageChecksum(_:)", "benchPackageSortWork(count:seed:)"], "\(ranked)")
        let sorting = try XCTUnwrap(p.processes.indices.first { hottest[$0] == "benchPackageSortWork(count:seed:)" })
        let tasks = try XCTUnwrap(p.processes.indices.first { hottest[$0] == "benchPackageChecksum(_:)" })
        XCTAssertLessThan(p.processes[sorting].startOffsetNs, p.processes[tasks].startOffsetNs, "benchmarks run in name order")
    }

    func testSwiftTestRecipeProfilesTheTestRunner() throws {
        let (_, p) = try record([
            "--process", "BenchPackagePackageTests.xctest", "--",
            "swift", "test", "--filter", "BenchPackageTests.BenchPackageTests/testWork",
        ])
        XCTAssertEqual(Set(p.processes.map(\.name)), ["BenchPackagePackageTests.xctest"], "\(p.processes.map(\.label))")
        let top = try XCTUnwrap(busiest(p).first)
        let runner = p.processes[top.index]
        XCTAssertTrue(runner.command.contains("BenchPackageTests.BenchPackageTests/testWork"), "\(runner.command)")
        XCTAssertEqual(p.process(at: top.index).functionStats().first?.shortName, "benchPackageTestWork()")
    }

    /// A `--process` that matches nothing says so and what it matches, and fails.
    func testProcessThatMatchesNothing() throws {
        let taskprof = try TestSupport.binary("taskprof")
        let out = try TestSupport.tempDir() + "/none.taskprof"
        let r = try TestSupport.run([taskprof, "record", "-o", out, "--process", "NoSuchProgram", "--", "/bin/sh", "-c", "/bin/true"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("no process matched --process 'NoSuchProgram'"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        let bad = try TestSupport.run([taskprof, "record", "-o", out, "--process", "a(b", "--", "/bin/true"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("--process 'a(b': not a valid POSIX extended regular expression"), bad.stderr)
    }
}
