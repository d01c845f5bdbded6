import Foundation
import TaskProfAnalysis
import TaskProfModel
@testable import TaskProfReports
import TaskProfTestSupport
import XCTest

/// `taskprof diff`: matching, normalization and significance on hand-built profiles, and the
/// outputs (the run on two recorded builds is DiffCLITests, end to end).
final class DiffTests: XCTestCase {
    // MARK: Hand-built profiles

    func fn(_ d: ProfileDiff, _ short: String, file: StaticString = #filePath, line: UInt = #line) throws -> FunctionDiff {
        let matches = d.functions.filter { $0.shortName == short }
        XCTAssertEqual(matches.count, 1, "\(short) should appear exactly once: \(d.functions.map(\.shortName))", file: file, line: line)
        return try XCTUnwrap(matches.first, file: file, line: line)
    }

    // MARK: Matching

    func testFunctionsMatchByNameNotByFrameIndexOrBuild() throws {
        // Same functions, frames interned in opposite orders, different lines, one inlined in
        // the new build only, and the executables named differently.
        let base = Fixtures.profile(
            [(1, ["start_thread", "main", "parse"], 30), (1, ["start_thread", "main", "hash"], 70)],
            frameOrder: ["start_thread", "main", "parse", "hash"], module: "bench-old", buildID: "aaaa")
        let new = Fixtures.profile(
            [(1, ["start_thread", "main", "parse"], 30), (1, ["start_thread", "main", "hash"], 70)],
            frameOrder: ["hash", "parse", "main", "start_thread"], module: "bench-new", buildID: "bbbb",
            lineBase: 500, inlined: ["parse"])
        XCTAssertNotEqual(base.frames.map(\.function), new.frames.map(\.function), "the test needs different frame numbering")
        let d = try ProfileDiff(base: base, new: new)
        XCTAssertEqual(Set(d.functions.map(\.shortName)), ["start_thread", "main", "parse", "hash"])
        XCTAssertEqual(d.functions.count, 4)
        let parse = try fn(d, "parse")
        XCTAssertEqual(parse.selfShare.baseCount, 30)
        XCTAssertEqual(parse.selfShare.newCount, 30)
        XCTAssertEqual(parse.module, "bench-new", "the display module comes from the new profile")
        XCTAssertEqual(try fn(d, "main").totalShare.baseCount, 100)
        XCTAssertTrue(d.identicalCounts)
        XCTAssertTrue(d.regressions.isEmpty && d.improvements.isEmpty)
    }

    func testCompilerVariantsOfOneFunctionMatch() throws {
        let full = "Bench.parse<A>(A) -> Swift.Int"
        let base = Fixtures.profile(
            [(1, ["main", "parse"], 50), (1, ["main", "work"], 50)],
            fullNames: [
                "parse": "generic specialization <Swift.Int> of \(full)",
                "work": "(1) await resume partial function for Bench.work() async -> ()",
            ])
        let new = Fixtures.profile(
            [(1, ["main", "parse"], 50), (1, ["main", "work"], 50)],
            fullNames: ["parse": full, "work": "Bench.work() async -> ()"])
        let d = try ProfileDiff(base: base, new: new)
        XCTAssertEqual(d.functions.count, 3, d.functions.map(\.name).joined(separator: " | "))
        XCTAssertEqual(try fn(d, "parse").name, full)
        XCTAssertTrue(d.identicalCounts)

        XCTAssertEqual(
            ProfileDiff.canonicalFunctionName(
                "function signature specialization <Arg[0] = Dead> of generic specialization <Swift.Int> of M.f<A>(A) -> ()"), "M.f<A>(A) -> ()")
        XCTAssertEqual(ProfileDiff.canonicalFunctionName("merged M.g() -> ()"), "M.g() -> ()")
        XCTAssertEqual(
            ProfileDiff.canonicalFunctionName("generic specialization <(Swift.Int) -> Swift.Int> of M.apply<A>(A) -> ()"), "M.apply<A>(A) -> ()")
        XCTAssertEqual(ProfileDiff.canonicalFunctionName("(3) suspend resume partial function for M.h() async -> ()"), "M.h() async -> ()")
        XCTAssertEqual(ProfileDiff.canonicalFunctionName("M.(helper in _0123456789ABCDEF)(Swift.Int) -> ()"), "M.helper(Swift.Int) -> ()")
        XCTAssertEqual(
            ProfileDiff.canonicalFunctionName("closure #1 (Swift.Int) -> () in M.f() -> ()"), "closure #1 (Swift.Int) -> () in M.f() -> ()")
        XCTAssertEqual(ProfileDiff.canonicalFunctionName("memcpy"), "memcpy")
        // A parameter list the demangler prints unbalanced: the short names already read past it,
        // and the diff now uses the same rules.
        XCTAssertEqual(
            ProfileDiff.canonicalFunctionName(
                "function signature specialization <Arg[4] = [Closure Propagated : $sSMsSk, Argument Types : []> of generic specialization <Swift.UInt32> of Swift._merge<A>(low: Swift.UnsafeMutablePointer<A>) throws -> Swift.Bool"
            ),
            "Swift._merge<A>(low: Swift.UnsafeMutablePointer<A>) throws -> Swift.Bool")
    }

    func testUnnamedTasksMatchByKindAndNamedByName() throws {
        // Unnamed tasks get new ids in every run; their outermost non-runtime frame matches them.
        let base = Fixtures.profile(
            [
                (5, ["start_thread", "swift_job_run", "closure #1 in serve", "handle"], 40),
                (9, ["start_thread", "swift_job_run", "parserTask", "parse"], 60),
            ], taskNames: [9: "parser"])
        let new = Fixtures.profile(
            [
                (77, ["start_thread", "swift_job_run", "closure #1 in serve", "handle"], 40),
                (78, ["start_thread", "swift_job_run", "closure #1 in serve", "handle"], 20),
                (3, ["start_thread", "swift_job_run", "parserTask", "parse"], 40),
            ], taskNames: [3: "parser"])
        let d = try ProfileDiff(base: base, new: new)
        let unnamed = try XCTUnwrap(d.tasks.first { $0.label == "unnamed: closure #1 in serve" }, "\(d.tasks.map(\.label))")
        XCTAssertEqual(unnamed.baseTasks, 1)
        XCTAssertEqual(unnamed.newTasks, 2)
        XCTAssertEqual(unnamed.cpu.baseCount, 40)
        XCTAssertEqual(unnamed.cpu.newCount, 60)
        let parser = try XCTUnwrap(d.tasks.first { $0.label == "parser" })
        XCTAssertEqual(parser.cpu.base, 60, accuracy: 1e-9)
        XCTAssertEqual(parser.cpu.new, 40, accuracy: 1e-9)
        XCTAssertEqual(d.tasks.count, 2, "\(d.tasks.map(\.label))")
    }

    // MARK: Normalization

    func testNormalizeBySamplesAndByTime() throws {
        // New: twice the duration and four times the samples; parse keeps its 10 % share but
        // doubles its samples per second.
        let base = Fixtures.twoFunctions(parse: 100, hash: 300, total: 1000, durationNs: 1_000_000_000)
        let new = Fixtures.twoFunctions(parse: 400, hash: 1200, total: 4000, durationNs: 2_000_000_000)
        let bySamples = try ProfileDiff(base: base, new: new)
        let ps = try fn(bySamples, "parse")
        XCTAssertEqual(ps.selfShare.base, 10, accuracy: 1e-9)
        XCTAssertEqual(ps.selfShare.new, 10, accuracy: 1e-9)
        XCTAssertFalse(ps.selfShare.flagged)
        XCTAssertTrue(bySamples.regressions.isEmpty)

        let byTime = try ProfileDiff(base: base, new: new, options: DiffOptions(normalization: .time))
        let pt = try fn(byTime, "parse")
        XCTAssertEqual(pt.selfShare.base, 10, accuracy: 1e-9)
        XCTAssertEqual(pt.selfShare.new, 20, accuracy: 1e-9, "400 samples in 2 s against the base's 1000/s")
        XCTAssertTrue(pt.selfShare.flagged)
        // Everything doubled its rate: every function is a regression by time, none by samples.
        XCTAssertEqual(Set(byTime.regressions.map(\.shortName)), Set(byTime.functions.map(\.shortName)))
        XCTAssertEqual(byTime.new.scopeRate ?? 0, 2000, accuracy: 1e-9)

        var noDuration = new
        noDuration.meta.durationNs = 0
        XCTAssertThrowsError(try ProfileDiff(base: base, new: noDuration, options: DiffOptions(normalization: .time))) {
            XCTAssertEqual($0 as? DiffError, .noDuration("new"))
        }
        XCTAssertNoThrow(try ProfileDiff(base: base, new: noDuration))
    }

    // MARK: Significance

    func testSmallNoiseIsNotFlagged() throws {
        let d = try ProfileDiff(
            base: Fixtures.twoFunctions(parse: 500, hash: 200, total: 1000),
            new: Fixtures.twoFunctions(parse: 530, hash: 190, total: 1000))
        let parse = try fn(d, "parse")
        XCTAssertEqual(parse.selfShare.change, 3, accuracy: 1e-9)
        XCTAssertGreaterThan(parse.selfShare.pValue, 0.01)
        XCTAssertFalse(parse.selfShare.significant)
        XCTAssertTrue(d.regressions.isEmpty, "\(d.regressions.map(\.shortName))")
        XCTAssertTrue(d.improvements.isEmpty)
        XCTAssertTrue(d.violations(thresholdPoints: 1).isEmpty)

        // Millions of samples make a 0.2-point change statistically significant; the minimum
        // change still keeps it out of the tables.
        let big = try ProfileDiff(
            base: Fixtures.twoFunctions(parse: 5_000_000, hash: 1_000_000, total: 10_000_000),
            new: Fixtures.twoFunctions(parse: 5_020_000, hash: 1_000_000, total: 10_000_000))
        let bp = try fn(big, "parse")
        XCTAssertTrue(bp.selfShare.significant)
        XCTAssertFalse(bp.selfShare.flagged)
        XCTAssertTrue(big.regressions.isEmpty)
    }

    func testBigChangeIsFlagged() throws {
        let d = try ProfileDiff(
            base: Fixtures.twoFunctions(parse: 300, hash: 300, total: 1000),
            new: Fixtures.twoFunctions(parse: 600, hash: 300, total: 1200))
        let parse = try fn(d, "parse")
        XCTAssertEqual(parse.selfShare.base, 30, accuracy: 1e-9)
        XCTAssertEqual(parse.selfShare.new, 50, accuracy: 1e-9)
        XCTAssertLessThan(parse.selfShare.pValue, 1e-10)
        XCTAssertTrue(parse.isRegression)
        XCTAssertEqual(d.regressions.first?.shortName, "parse")
        XCTAssertFalse(d.regressions.contains { $0.shortName == "hash" })
        // hash's share fell from 30 % to 25 %: not significant at this size.
        XCTAssertFalse(try fn(d, "hash").selfShare.flagged)
        let parser = try XCTUnwrap(d.tasks.first { $0.label == "parser" })
        XCTAssertTrue(parser.cpu.grew)

        let v = d.violations(thresholdPoints: 5)
        XCTAssertTrue(v.contains { $0.hasPrefix("parse [bench] self share grew +20.0 points") }, "\(v)")
        XCTAssertTrue(v.contains { $0.hasPrefix("task parser CPU share grew") }, "\(v)")
        XCTAssertTrue(d.violations(thresholdPoints: 25).isEmpty)

        let text = DiffTable(d).text
        XCTAssertTrue(text.contains("+20.0*"), text)
        XCTAssertTrue(text.contains("parse  [bench]"), text)
    }

    func testSignificanceTests() {
        XCTAssertEqual(DiffSignificance.twoProportionPValue(baseCount: 50, baseTotal: 100, newCount: 50, newTotal: 100), 1)
        XCTAssertEqual(DiffSignificance.rateRatioPValue(baseCount: 40, baseExposure: 1, newCount: 80, newExposure: 2), 1, accuracy: 1e-12)
        // 60/100 against 40/100: z ≈ 2.69 with the continuity correction.
        XCTAssertEqual(DiffSignificance.twoProportionPValue(baseCount: 40, baseTotal: 100, newCount: 60, newTotal: 100), 0.0072, accuracy: 0.0005)
        XCTAssertLessThan(DiffSignificance.rateRatioPValue(baseCount: 100, baseExposure: 1, newCount: 300, newExposure: 1), 1e-20)
        XCTAssertEqual(DiffSignificance.correctedAlpha(0.001, tests: 100), 1e-5, accuracy: 1e-15)
    }

    func testProfileAgainstItselfReportsNothing() throws {
        let p = Fixtures.twoFunctions(parse: 321, hash: 123, total: 999)
        for mode in DiffNormalization.allCases {
            let d = try ProfileDiff(base: p, new: p, options: DiffOptions(normalization: mode))
            XCTAssertTrue(d.identicalCounts)
            XCTAssertTrue(d.regressions.isEmpty && d.improvements.isEmpty)
            XCTAssertTrue(d.violations(thresholdPoints: 0).isEmpty)
            XCTAssertTrue(d.functions.allSatisfy { $0.selfShare.change == 0 && $0.totalShare.change == 0 && !$0.selfShare.significant })
            XCTAssertTrue(DiffTable(d).text.contains("No changes"))
        }
    }

    func testUnknownTaskIsAnError() throws {
        let p = Fixtures.twoFunctions(parse: 10, hash: 10, total: 30)
        XCTAssertThrowsError(try ProfileDiff(base: p, new: p, options: DiffOptions(taskName: "nope"))) { e in
            XCTAssertEqual(e as? DiffError, .unknownTask("nope", known: ["hasher", "parser"]))
        }
        let d = try ProfileDiff(base: p, new: p, options: DiffOptions(taskName: "parser"))
        XCTAssertEqual(d.base.scopeSamples, 10)
        XCTAssertEqual(try fn(d, "parse").selfShare.base, 100, accuracy: 1e-9)
        XCTAssertNil(d.functions.first { $0.shortName == "hash" })
    }

    // MARK: Outputs

    func testDifferentialFoldedFormat() throws {
        let threadsA = [ThreadInfo(tid: 11, name: "worker", kind: .other), ThreadInfo(tid: 12, name: "", kind: .other)]
        let threadsB = [ThreadInfo(tid: 99, name: "worker", kind: .other), ThreadInfo(tid: 98, name: "", kind: .other)]
        var base = Fixtures.profile(
            [(1, ["root", "parse"], 10), (0, ["root", "idle"], 5), (1, ["root", "a;b"], 2)],
            taskNames: [1: "parser"], threads: threadsA)
        var new = Fixtures.profile(
            [
                (7, ["root", "parse"], 15), (7, ["root", "parse", "helper"], 3), (0, ["root", "idle"], 5),
                (8, ["root", "spawned"], 4),
            ], taskNames: [7: "parser"], threads: threadsB)
        base.samples.append(SampleGroup(taskID: 0, thread: 1, stack: 1, count: 1))  // unnamed thread "thread 12"
        new.samples.append(SampleGroup(taskID: 0, thread: 1, stack: 2, count: 2))  // unnamed thread "thread 98"
        let text = ProfileDiff.differentialFolded(base: base, new: new).map { "\($0.frames.joined(separator: ";")) \($0.base) \($0.new)" }
        XCTAssertEqual(
            text,
            [
                "parser;root;a,b 2 0",
                "parser;root;parse 10 15",
                "parser;root;parse;helper 0 3",
                "thread;root;idle 1 2",
                "unnamed tasks;root;spawned 0 4",
                "worker;root;idle 5 5",
            ])
        // Each side sums to its samples.
        let lines = ProfileDiff.differentialFolded(base: base, new: new)
        XCTAssertEqual(lines.reduce(0) { $0 + $1.base }, base.sampleCount)
        XCTAssertEqual(lines.reduce(0) { $0 + $1.new }, new.sampleCount)
        // One task: only its stacks.
        XCTAssertEqual(ProfileDiff.differentialFolded(base: base, new: new, taskName: "parser").count, 3)
    }

    func testLongPollFindings() throws {
        func jobs(_ polls: [LongPoll]) -> JobSummary {
            JobSummary(longPollThresholdNs: 10_000_000, tasks: [], runtime: RuntimeJobStats(), longPolls: polls)
        }
        let rows: [(task: UInt64, stack: [String], count: UInt32)] = [
            (1, ["swift_job_run", "parse", "memcpy_like"], 10),
            (2, ["swift_job_run", "hash"], 10),
        ]
        let base = Fixtures.profile(
            rows, taskNames: [1: "parser", 2: "hasher"],
            jobs: jobs([LongPoll(taskID: 1, thread: 0, startNs: 0, durationNs: 12_000_000, stacks: [StackCount(stack: 0, count: 9)])]))
        let new = Fixtures.profile(
            rows, taskNames: [1: "parser", 2: "hasher"],
            jobs: jobs([
                LongPoll(taskID: 2, thread: 0, startNs: 0, durationNs: 30_000_000, stacks: [StackCount(stack: 1, count: 9)]),
                LongPoll(taskID: 2, thread: 0, startNs: 50_000_000, durationNs: 20_000_000, stacks: [StackCount(stack: 1, count: 5)]),
            ]))
        let d = try ProfileDiff(base: base, new: new)
        let findings = try XCTUnwrap(d.findings)
        XCTAssertEqual(
            findings.map { "\($0.status.rawValue) \($0.task) \($0.function) \($0.baseCount) \($0.newCount) \($0.newMaxNs)" },
            ["new hasher hash 0 2 30000000", "resolved parser memcpy_like 1 0 0"])
        XCTAssertNil(try ProfileDiff(base: Fixtures.profile(rows), new: new).findings, "no job data in base: not compared")
        XCTAssertEqual(try ProfileDiff(base: new, new: new).findings, [])
        XCTAssertTrue(DiffTable(d).text.contains("new      hasher: hash  2 polls, longest 30.0 ms"), DiffTable(d).text)
    }

    func testJSONCarriesTablesAndIdentities() throws {
        let base = Fixtures.twoFunctions(parse: 300, hash: 300, total: 1000)
        var new = Fixtures.twoFunctions(parse: 600, hash: 300, total: 1200)
        new.meta.mainBuildID = "feedface"
        let j = DiffJSON(try ProfileDiff(base: base, new: new))
        let decoded = try JSONDecoder().decode(DiffJSON.self, from: try j.encoded())
        XCTAssertEqual(decoded, j)
        XCTAssertEqual(decoded.base.buildID, "b1")
        XCTAssertEqual(decoded.new.buildID, "feedface")
        XCTAssertEqual(decoded.base.command, ["./bench"])
        XCTAssertEqual(decoded.base.startTime, "2023-11-14T22:13:20Z")
        XCTAssertEqual(decoded.regressions.first?.shortName, "parse")
        XCTAssertEqual(decoded.regressions.first?.status, "regression")
        XCTAssertEqual(decoded.regressions.first?.selfShare.base, 300)
        XCTAssertEqual(decoded.regressions.first?.selfShare.new, 600)
        XCTAssertTrue(decoded.tasks.contains { $0.label == "parser" && $0.cpu.flagged })
        XCTAssertFalse(decoded.identical)
        let text = String(decoding: try j.encoded(), as: UTF8.self)
        XCTAssertTrue(text.contains("\"self\" : {"), "the self share is encoded as `self`")
    }

    func testHTMLEscapesNamesAndCarriesBothViews() throws {
        let hostile = "</script><img src=x onerror=alert(1)>&amp;"
        let base = Fixtures.profile([(1, ["start_thread", hostile], 30), (1, ["start_thread", "gone"], 70)], taskNames: [1: hostile])
        let new = Fixtures.profile([(1, ["start_thread", hostile], 80), (1, ["start_thread", "added"], 20)], taskNames: [1: hostile])
        let d = try ProfileDiff(base: base, new: new)
        let dir = try TestSupport.tempDir()
        let path = dir + "/d.html"
        let sink = try OutputSink(path: path)
        DiffHTMLReport(diff: d, base: base, new: new).render(to: sink)
        sink.close()
        let html = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertFalse(html.contains("<img"), "a name reached the page as markup")
        XCTAssertEqual(html.components(separatedBy: "</script>").count, 4, "exactly the three script elements close: common.js, the data, diff.js")
        XCTAssertFalse(html.contains("http://") || html.contains("https://"), "the page must not refer to the network")
        XCTAssertTrue(html.contains("\\u003c/script\\u003e\\u003cimg src=x onerror=alert(1)\\u003e\\u0026amp;"))
        XCTAssertFalse(html.contains("innerHTML"))

        // The data block parses and holds both sides' counts, so both views can be drawn.
        let start = try XCTUnwrap(html.range(of: "<script type=\"application/json\" id=\"diff-data\">"))
        let end = try XCTUnwrap(html.range(of: "</script>", range: start.upperBound..<html.endIndex))
        let data = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(html[start.upperBound..<end.lowerBound].utf8)) as? [String: Any])
        let funcs = try XCTUnwrap(data["funcs"] as? [[String]])
        let samples = try XCTUnwrap(data["samples"] as? [Int])
        XCTAssertEqual(samples.count % 5, 0)
        var bySide: [String: (Int, Int)] = [:]
        let stacks = try XCTUnwrap(data["stacks"] as? [[Int]])
        for i in stride(from: 0, to: samples.count, by: 5) {
            let leaf = funcs[stacks[samples[i]].last!][0]
            bySide[leaf, default: (0, 0)].0 += samples[i + 3]
            bySide[leaf, default: (0, 0)].1 += samples[i + 4]
        }
        XCTAssertEqual(bySide[hostile]?.0, 30)
        XCTAssertEqual(bySide[hostile]?.1, 80)
        XCTAssertEqual(bySide["gone"]?.0, 70)
        XCTAssertEqual(bySide["gone"]?.1, 0)
        XCTAssertEqual(bySide["added"]?.1, 20)
        XCTAssertEqual(data["tasks"] as? [String], [hostile])
        XCTAssertEqual((data["new"] as? [String: Any])?["buildID"] as? String, "b1")
        XCTAssertTrue(html.contains("id=\"view\"") && html.contains("value=\"base\""), "the reverse view is offered")
    }
}
