import Foundation
import SwiftProtobuf
import TaskProfReports
import TaskProfTestSupport
import XCTest

@testable import TaskProfAnalysis
@testable import TaskProfExport
@testable import TaskProfModel

/// pprof and speedscope from fixed profiles: what each format's reader relies on, and hostile
/// names that come back exactly as they went in.
final class ExportTests: XCTestCase {
    func testPprofHasTheSampleTypesLabelsAndInlinedLines() throws {
        let p = Fixtures.hostileProfile()
        let m = PprofRenderer(p).message()
        let s = m.stringTable
        XCTAssertEqual(s.first, "", "string_table[0] is the empty string")
        XCTAssertEqual(m.sampleType.map { "\(s[Int($0.type)])/\(s[Int($0.unit)])" }, ["samples/count", "cpu/nanoseconds"])
        XCTAssertEqual(m.period, 1_001_001, "one sample of CPU time at 999 Hz")
        XCTAssertEqual(m.durationNanos, 2_000_000_000)
        XCTAssertEqual(m.timeNanos, 1_700_000_000_000_000_000)
        XCTAssertEqual(m.sample.map { $0.value[0] }.reduce(0, +), Int64(p.sampleCount))
        for sample in m.sample { XCTAssertEqual(sample.value[1], sample.value[0] * m.period) }
        // Labels: task 1 is named h[0], a task's samples carry its id as a number.
        let task1 = m.sample.filter { smp in smp.label.contains { s[Int($0.key)] == "task_id" && $0.num == 1 } }
        XCTAssertFalse(task1.isEmpty)
        for smp in task1 {
            XCTAssertEqual(smp.label.first { s[Int($0.key)] == "task_name" }.map { s[Int($0.str)] }, Fixtures.hostileNames[0])
            XCTAssertNotNil(smp.label.first { s[Int($0.key)] == "thread_name" })
        }
        // Every name of the profile comes back exactly (quotes, newlines, non-ASCII, markup).
        for n in Fixtures.hostileNames { XCTAssertTrue(s.contains(n), "\(n) lost") }
        // Ids are 1…n, every reference resolves.
        XCTAssertEqual(m.location.map(\.id), (1...UInt64(m.location.count)).map { $0 })
        let fids = Set(m.function.map(\.id)), lids = Set(m.location.map(\.id)), mids = Set(m.mapping.map(\.id))
        for smp in m.sample { XCTAssertTrue(smp.locationID.allSatisfy(lids.contains)) }
        for loc in m.location {
            XCTAssertTrue(mids.contains(loc.mappingID))
            XCTAssertTrue(loc.line.allSatisfy { fids.contains($0.functionID) })
        }
    }

    func testInlinedFramesShareALocationInnermostFirst() throws {
        var p = Fixtures.profile([(task: 1, stack: ["main", "outer", "inner"], count: 5)], inlined: ["inner"])
        p.meta.rateHz = 1000
        let m = PprofRenderer(p).message()
        let s = m.stringTable
        let sample = try XCTUnwrap(m.sample.first)
        XCTAssertEqual(sample.locationID.count, 2, "main, then outer with inner inlined into it")
        let leaf = try XCTUnwrap(m.location.first { $0.id == sample.locationID[0] })
        let names = leaf.line.map { line in s[Int(m.function.first { $0.id == line.functionID }!.name)] }
        XCTAssertEqual(names, ["inner", "outer"], "the inlined function first, the one it is inlined into last")
    }

    func testBlockingProfileWeighsBlockedTime() throws {
        var p = Fixtures.profile([(task: 1, stack: ["main", "work"], count: 5)])
        p.blocking = BlockingSummary(
            thresholdNs: 1_000_000,
            sites: [
                BlockingSite(
                    primitive: "usleep", function: "work", file: nil, line: nil, count: 3, totalNs: 60_000_000, maxNs: 30_000_000, taskIDs: [1],
                    threads: [10], stacks: [StackWeight(stack: 0, count: 3, totalNs: 60_000_000)], advice: "")
            ])
        let m = PprofRenderer(p, kind: .blocking).message()
        let s = m.stringTable
        XCTAssertEqual(m.sampleType.map { "\(s[Int($0.type)])/\(s[Int($0.unit)])" }, ["calls/count", "blocked/nanoseconds"])
        XCTAssertEqual(m.sample.map(\.value), [[3, 60_000_000]])
        XCTAssertTrue(m.sample[0].label.contains { s[Int($0.key)] == "primitive" && s[Int($0.str)] == "usleep" })
    }

    func testTheFileIsGzipOfTheMessage() throws {
        let p = Fixtures.hostileProfile()
        let file = OutputSinkProbe.bytes(PprofRenderer(p))
        XCTAssertEqual(Array(file.prefix(2)), [0x1f, 0x8b], "gzip magic")
        let tmp = try TestSupport.tempDir() + "/p.gz"
        try Data(file).write(to: URL(fileURLWithPath: tmp))
        let back = try Perftools_Profiles_Profile(serializedBytes: Array(try Data(contentsOf: URL(fileURLWithPath: tmp)).gunzipped(tmp)))
        XCTAssertEqual(back, PprofRenderer(p).message(), "gzip -d gives the message back")
    }

    func testSpeedscopeFollowsTheFormat() throws {
        let p = Fixtures.hostileProfile()
        let data = Data(OutputSinkProbe.bytes(SpeedscopeRenderer(p)))
        let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(obj["$schema"] as? String, "https://www.speedscope.app/file-format-schema.json")
        let frames = try XCTUnwrap((obj["shared"] as? [String: Any])?["frames"] as? [[String: Any]])
        XCTAssertTrue(frames.allSatisfy { $0["name"] is String })
        for n in Fixtures.hostileNames { XCTAssertTrue(frames.contains { $0["name"] as? String == n }, "\(n) lost") }
        let profiles = try XCTUnwrap(obj["profiles"] as? [[String: Any]])
        XCTAssertLessThan(obj["activeProfileIndex"] as? Int ?? -1, profiles.count)
        var total = 0
        for prof in profiles {
            XCTAssertEqual(prof["type"] as? String, "sampled")
            XCTAssertEqual(prof["unit"] as? String, "none")
            XCTAssertNotNil(prof["name"] as? String)
            let samples = try XCTUnwrap(prof["samples"] as? [[Int]]), weights = try XCTUnwrap(prof["weights"] as? [Int])
            XCTAssertEqual(samples.count, weights.count, "a weight per sample")
            XCTAssertTrue(samples.allSatisfy { $0.allSatisfy { (0..<frames.count).contains($0) } }, "frame indices in range")
            XCTAssertEqual(prof["startValue"] as? Int, 0)
            XCTAssertEqual(prof["endValue"] as? Int, weights.reduce(0, +))
            total += weights.reduce(0, +)
        }
        XCTAssertEqual(total, Int(p.sampleCount))
        // One profile per task with samples, plus one per thread for samples outside tasks.
        let tasks = Set(p.samples.filter { $0.taskID != 0 }.map(\.taskID)), threads = Set(p.samples.filter { $0.taskID == 0 }.map(\.thread))
        XCTAssertEqual(profiles.count, tasks.count + threads.count)
    }

    /// The file against a JSON Schema of speedscope's format (Tests/schemas, restated from
    /// speedscope's file-format-schema.json), checked by Python's jsonschema, a reader that is not
    /// ours. The same check must reject a file with a required key missing.
    func testSpeedscopeMatchesTheFormatsSchema() throws {
        let dir = try TestSupport.tempDir()
        let good = dir + "/good.json", bad = dir + "/bad.json"
        let bytes = Data(OutputSinkProbe.bytes(SpeedscopeRenderer(Fixtures.hostileProfile())))
        try bytes.write(to: URL(fileURLWithPath: good))
        var obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: bytes) as? [String: Any])
        var profiles = try XCTUnwrap(obj["profiles"] as? [[String: Any]])
        profiles[0]["weights"] = nil
        obj["profiles"] = profiles
        try JSONSerialization.data(withJSONObject: obj).write(to: URL(fileURLWithPath: bad))
        XCTAssertEqual(try TestSupport.validateSpeedscope(good), "valid")
        XCTAssertTrue(try TestSupport.validateSpeedscope(bad).contains("'weights' is a required property"))
    }
}

/// Renders into memory, as bytes.
enum OutputSinkProbe {
    static func bytes(_ r: any Renderer) -> [UInt8] {
        let sink = OutputSink.inMemory()
        try? r.render(to: sink)
        return sink.collectedBytes
    }
}

extension Data {
    /// gunzip through /bin/gzip (the test's independent reader of the compression).
    func gunzipped(_ path: String) throws -> Data {
        let out = path + ".raw"
        let sh = try TestSupport.run(["/bin/sh", "-c", "gzip -dc '\(path)' > '\(out)'"])
        guard sh.status == 0 else { throw TestFailure("gzip -dc failed: \(sh.stderr)") }
        return try Data(contentsOf: URL(fileURLWithPath: out))
    }
}
