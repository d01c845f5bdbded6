import Foundation
import TaskProfAnalysis
import TaskProfModel
@testable import TaskProfReports
import TaskProfTestSupport
import XCTest

/// Every output format rendered from fixed profiles and compared byte for byte with the files in
/// Tests/TaskProfTests/Golden. A change of output shows as a failing test with the lines that
/// differ; when the change is meant, rewrite the files and review them in the commit:
///
///     TASKPROF_BLESS=1 swift test --filter GoldenTests
final class GoldenTests: XCTestCase {
    private static let dir = TestSupport.packageRoot + "/Tests/TaskProfTests/Golden"
    private static let bless = ProcessInfo.processInfo.environment["TASKPROF_BLESS"] == "1"

    /// The fixtures: a profile whose every name is hostile, a synthetic server profile (folded and
    /// summary only: its JSON is megabytes), two builds of a small program, and the first build and
    /// the hostile profile merged as two processes of one run.
    private static let hostile = HTMLReportTests.hostileProfile()
    private static let synthetic = SyntheticProfile.make(distinctStacks: 40, seed: 11)
    private static let twoProcesses: Profile = {
        var a = ProfiledProcess(pid: 100, command: ["./server", "--port", "80"])
        a.exitDescription = "exit 0"
        var b = ProfiledProcess(pid: 101, parentPid: 100, command: ["./worker", "<id>"])
        b.exitDescription = "ended"
        var meta = ProfileMeta(
            command: ["./server", "--port", "80"], startTimeNs: 1_700_000_000_000_000_000, host: "test",
            pid: 100, engine: "perf", rateHz: 999, exitDescription: "exit 0")
        meta.bucketNs = base.meta.bucketNs
        return Profile.merging([(base, a), (hostile, b)], meta: meta)
    }()
    private static let base = Fixtures.profile(
        [
            (1, ["start_thread", "swift_job_run", "handle", "parse"], 60),
            (1, ["start_thread", "swift_job_run", "handle", "encode"], 40),
            (2, ["start_thread", "swift_job_run", "gone"], 10),
        ],
        taskNames: [1: "handler", 2: "old </script>"])
    private static let new = Fixtures.profile(
        [
            (1, ["start_thread", "swift_job_run", "handle", "parse"], 90),
            (1, ["start_thread", "swift_job_run", "handle", "encode"], 20),
            (3, ["start_thread", "swift_job_run", "added"], 15),
        ],
        taskNames: [1: "handler", 3: "new & shiny"], buildID: "b2")

    /// What a writer puts into a sink, as a string (the page's data block has no renderer of its own).
    private func rendered(_ body: (OutputSink) -> Void) -> String {
        let sink = OutputSink.inMemory()
        body(sink)
        return sink.collected
    }

    /// Compares `text` with the golden file `name`, or writes it when blessing.
    private func check(_ name: String, _ text: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let path = Self.dir + "/" + name
        if Self.bless {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return
        }
        guard let golden = try? String(contentsOfFile: path, encoding: .utf8) else {
            XCTFail("no golden file \(name): run TASKPROF_BLESS=1 swift test --filter GoldenTests", file: file, line: line)
            return
        }
        guard golden != text else { return }
        let want = golden.components(separatedBy: "\n"), got = text.components(separatedBy: "\n")
        var report: [String] = []
        for i in 0..<max(want.count, got.count) where report.count < 24 {
            let w = i < want.count ? want[i] : "(no line)", g = i < got.count ? got[i] : "(no line)"
            if w != g { report += ["line \(i + 1):", "  golden: \(w.prefix(300))", "  now:    \(g.prefix(300))"] }
        }
        XCTFail(
            "\(name) differs from its golden file (TASKPROF_BLESS=1 rewrites it when the change is meant):\n"
                + report.joined(separator: "\n"), file: file, line: line)
    }

    func testFolded() throws {
        for (name, p) in [("hostile", Self.hostile), ("synthetic", Self.synthetic), ("processes", Self.twoProcesses)] {
            try check("\(name).folded", FoldedRenderer(p).text)
        }
        try check("processes.by-process.folded", FoldedRenderer(Self.twoProcesses, groupBy: .process).text)
    }

    func testJSONSummary() throws {
        for (name, p) in [("hostile", Self.hostile), ("processes", Self.twoProcesses)] {
            try check("\(name).json", String(decoding: try JSONSummary(p).encoded(), as: UTF8.self) + "\n")
        }
    }

    func testTerminalSummary() throws {
        for (name, p) in [("hostile", Self.hostile), ("synthetic", Self.synthetic), ("processes", Self.twoProcesses)] {
            try check("\(name).summary.txt", TerminalSummary(p).text)
        }
    }

    func testHTMLDataBlock() throws {
        for (name, p) in [("hostile", Self.hostile), ("processes", Self.twoProcesses)] {
            try check("\(name).html-data.json", rendered { HTMLReport(profile: p).writeData(to: $0) } + "\n")
        }
    }

    func testDiffOutputs() throws {
        let d = try ProfileDiff(base: Self.base, new: Self.new)
        try check("diff.folded", DiffFoldedRenderer(base: Self.base, new: Self.new).text)
        try check("diff.json", String(decoding: try DiffJSON(d).encoded(), as: UTF8.self) + "\n")
        try check("diff.txt", DiffTable(d).text)
        try check("diff.html-data.json", DiffHTMLReport(diff: d, base: Self.base, new: Self.new).dataJSON() + "\n")
    }

    /// Names reach the terminal with their control characters written out: a newline in a
    /// task's name must not break a line, an escape in a thread's name must not drive the terminal.
    func testTerminalOutputCarriesNoControlCharacters() throws {
        let d = try ProfileDiff(base: Self.base, new: Self.new)
        for text in [TerminalSummary(Self.hostile).text, TerminalSummary(Self.twoProcesses).text, DiffTable(d).text] {
            let bad = text.unicodeScalars.filter { ($0.value < 0x20 && $0 != "\n") || $0.value == 0x7F || $0.value == 0x2028 }
            XCTAssertTrue(bad.isEmpty, "control characters in terminal output: \(bad.map { $0.value })")
        }
        XCTAssertTrue(TerminalSummary(Self.hostile).text.contains("line\\nbreak\\u{2028}sep"))
    }
}
