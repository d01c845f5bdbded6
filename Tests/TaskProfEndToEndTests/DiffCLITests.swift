import Foundation
import TaskProfAnalysis
import TaskProfModel
@testable import TaskProfReports
import TaskProfTestSupport
import XCTest

/// `taskprof diff` on two recorded builds of Examples/DiffBench (release binaries).
final class DiffCLITests: XCTestCase {
    /// Two builds of Examples/DiffBench: the SLOW one parses twice. Recorded with the agent and
    /// compared with the real command line.
    func testDiffOfTwoBuildsFindsTheSlowFunction() throws {
        let dir = try TestSupport.tempDir()
        let source = TestSupport.packageRoot + "/Examples/DiffBench/main.swift"
        var profiles: [String: String] = [:]
        for (variant, flags) in [("fast", [String]()), ("slow", ["-D", "SLOW"])] {
            try FileManager.default.createDirectory(atPath: "\(dir)/\(variant)", withIntermediateDirectories: true)
            // Same executable name for both builds, as two builds of one program would have.
            let exe = "\(dir)/\(variant)/DiffBench"
            let c = try TestSupport.run(["/usr/bin/env", "swiftc", "-O", "-g"] + flags + [source, "-o", exe])
            XCTAssertEqual(c.status, 0, c.stderr)
            let out = "\(dir)/\(variant).taskprof"
            let r = try TestSupport.run([try TestSupport.binary("taskprof"), "record", "-q", "-o", out, "--", exe])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stdout.hasPrefix("DiffBench: 100 ticks"), r.stdout)
            profiles[variant] = out
        }
        let fast = try XCTUnwrap(profiles["fast"]), slow = try XCTUnwrap(profiles["slow"])
        let taskprof = try TestSupport.binary("taskprof")

        // The terminal table.
        let table = try TestSupport.run([taskprof, "diff", fast, slow])
        XCTAssertEqual(table.status, 0, table.stderr)
        print("taskprof diff fast slow:\n" + table.stdout)
        let regressionsSection = table.stdout.components(separatedBy: "Top regressions").dropFirst().first ?? ""
        let firstRow = regressionsSection.split(separator: "\n").dropFirst(2).first.map(String.init) ?? ""
        XCTAssertTrue(firstRow.contains("parseRecords(_:)") && firstRow.contains("*"), "first regression row: \(firstRow)\n\(table.stdout)")

        // JSON, by samples: parseRecords is the top regression, hashRecords is no regression.
        let json = try TestSupport.run([taskprof, "diff", fast, slow, "--json", "-"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let d = try JSONDecoder().decode(DiffJSON.self, from: Data(json.stdout.utf8))
        XCTAssertEqual(d.regressions.first?.shortName, "parseRecords(_:)", "\(d.regressions.map(\.shortName))")
        let parse = try XCTUnwrap(d.regressions.first)
        XCTAssertGreaterThan(parse.selfShare.change, 5)
        XCTAssertTrue(parse.selfShare.flagged)
        XCTAssertEqual(parse.presence, "both")
        XCTAssertFalse(d.regressions.contains { $0.shortName == "hashRecords(_:)" })
        XCTAssertNotEqual(d.base.buildID, d.new.buildID)
        XCTAssertTrue(d.tasks.contains { $0.label == "parser" && $0.cpu.flagged && $0.cpu.change > 0 }, "\(d.tasks.map(\.label))")

        // By time (both runs last the same 2 s): hashRecords did not change at all.
        let timed = try TestSupport.run([taskprof, "diff", fast, slow, "--normalize", "time", "--json", "-"])
        XCTAssertEqual(timed.status, 0, timed.stderr)
        let t = try JSONDecoder().decode(DiffJSON.self, from: Data(timed.stdout.utf8))
        XCTAssertEqual(t.regressions.first?.shortName, "parseRecords(_:)")
        let hash = try XCTUnwrap(t.functions.first { $0.shortName == "hashRecords(_:)" })
        XCTAssertFalse(hash.selfShare.flagged || hash.total.flagged, "hashRecords flagged by time: \(hash)")
        XCTAssertEqual(hash.status, "unchanged")

        // --fail-on-regression: parseRecords grew by far more than 5 points.
        let gate = try TestSupport.run([taskprof, "diff", fast, slow, "--fail-on-regression", "5"])
        XCTAssertEqual(gate.status, 1, gate.stderr)
        XCTAssertTrue(gate.stderr.contains("regression: parseRecords(_:)"), gate.stderr)
        XCTAssertFalse(gate.stderr.contains("hashRecords"), gate.stderr)

        // A profile against itself: nothing flagged, exit 0 even with a zero limit.
        let same = try TestSupport.run([taskprof, "diff", fast, fast, "--fail-on-regression", "0"])
        XCTAssertEqual(same.status, 0, same.stderr)
        XCTAssertTrue(same.stdout.contains("No changes"), same.stdout)
        XCTAssertNil(same.stdout.range(of: "[0-9][*]", options: .regularExpression), same.stdout)
        let sameJSON = try JSONDecoder().decode(
            DiffJSON.self, from: Data(try TestSupport.run([taskprof, "diff", fast, fast, "--json", "-"]).stdout.utf8))
        XCTAssertTrue(sameJSON.identical)
        XCTAssertTrue(sameJSON.regressions.isEmpty && sameJSON.improvements.isEmpty)

        // Differential folded and HTML.
        let files = try TestSupport.run([taskprof, "diff", fast, slow, "--folded", dir + "/d.folded", "--html", dir + "/d.html"])
        XCTAssertEqual(files.status, 0, files.stderr)
        var baseSum = 0, newSum = 0, parseBase = 0, parseNew = 0
        for line in try String(contentsOfFile: dir + "/d.folded", encoding: .utf8).split(separator: "\n") {
            let parts = line.split(separator: " ")
            let b = try XCTUnwrap(Int(parts[parts.count - 2]), String(line)), n = try XCTUnwrap(Int(parts[parts.count - 1]), String(line))
            baseSum += b
            newSum += n
            if line.hasPrefix("parser;"), line.contains(";parseRecords(_:) ") { parseBase += b; parseNew += n }
        }
        let bp = try ProfileFile.read(path: fast), np = try ProfileFile.read(path: slow)
        XCTAssertEqual(UInt64(baseSum), bp.sampleCount)
        XCTAssertEqual(UInt64(newSum), np.sampleCount)
        XCTAssertGreaterThan(parseNew, parseBase * 3 / 2, "parseRecords leaf samples \(parseBase) → \(parseNew)")
        let html = try String(contentsOfFile: dir + "/d.html", encoding: .utf8)
        XCTAssertTrue(html.contains("parseRecords(_:)") && html.contains(d.new.buildID))

        // Bad input.
        let missing = try TestSupport.run([taskprof, "diff", fast, dir + "/nope.taskprof"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("cannot read"), missing.stderr)
        let unknownTask = try TestSupport.run([taskprof, "diff", fast, slow, "--task", "no-such-task"])
        XCTAssertEqual(unknownTask.status, 2)
        XCTAssertTrue(unknownTask.stderr.contains("no task named 'no-such-task'") && unknownTask.stderr.contains("parser"), unknownTask.stderr)
        let badLimit = try TestSupport.run([taskprof, "diff", fast, slow, "--fail-on-regression", "-3"])
        XCTAssertNotEqual(badLimit.status, 0)
        XCTAssertTrue(badLimit.stderr.contains("--fail-on-regression"), badLimit.stderr)
        let help = try TestSupport.run([taskprof, "diff", "--help"])
        for option in ["--html", "--folded", "--json", "--normalize", "--fail-on-regression", "--task"] {
            XCTAssertTrue(help.stdout.contains(option), "diff --help lacks \(option)")
        }
    }
}
