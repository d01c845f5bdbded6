import Foundation
import TaskProfTestSupport
import XCTest

/// Issue 18: `report --pprof` read by the real `go tool pprof` (Debian's golang-go, which
/// `make test` installs): its task shares (`-tags`), top functions (`-top`) and stacks
/// (`-traces`) agree with taskprof's own numbers for bundled examples.
final class PprofToolTests: XCTestCase {
    struct Pprof {
        let file: String
        func run(_ args: [String]) throws -> String {
            var env = ProcessInfo.processInfo.environment
            env["HOME"] = env["HOME"] ?? NSTemporaryDirectory()
            let r = try TestSupport.run(["/usr/bin/env", "go", "tool", "pprof", "-sample_index=samples"] + args + [file], environment: env)
            guard r.status == 0 else {
                throw TestFailure("go tool pprof \(args) failed (\(r.status)); `make test` installs golang-go: \(r.stderr.prefix(400))")
            }
            return r.stdout
        }
    }

    /// (value, name) rows of one `-tags` section, e.g. "task_name".
    func tagRows(_ text: String, _ key: String) -> [String: Double] {
        var rows: [String: Double] = [:], inSection = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let t = line.trimmingCharacters(in: .whitespaces)
            if t.hasPrefix("\(key):") { inSection = true; continue }
            if inSection && t.isEmpty { break }
            // "392.0 (75.10%): heavy"
            if inSection, let colon = t.range(of: "): ") {
                let value = Double(t.split(separator: " ")[0]) ?? -1
                rows[String(t[colon.upperBound...]), default: 0] += value
            }
        }
        return rows
    }

    func record(_ example: String, _ args: [String] = []) throws -> (json: [String: Any], pprof: Pprof) {
        let dir = try TestSupport.tempDir()
        let out = dir + "/p.taskprof", json = dir + "/p.json", pb = dir + "/p.pb.gz"
        let r = try TestSupport.run(
            [try TestSupport.binary("taskprof"), "record", "-q", "-o", out, "--json", json, "--pprof", pb, "--", try TestSupport.binary(example)]
                + args)
        XCTAssertEqual(r.status, 0, r.stderr)
        let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        return (obj, Pprof(file: pb))
    }

    func testTaskSharesTopFunctionsAndStacksAgree() throws {
        for (example, args) in [("TwoTasks", [String]()), ("AsyncChain", [])] {
            let (json, pprof) = try record(example, args)
            let total = (json["profile"] as? [String: Any])?["samples"] as? Int ?? 0
            XCTAssertGreaterThan(total, 100, example)

            // Task shares: -tags task_name against the JSON's tasks (summed by name).
            var byName: [String: Int] = [:]
            for t in json["tasks"] as? [[String: Any]] ?? [] {
                let name = t["name"] as? String ?? "task \(t["id"] as? Int ?? -1)"
                byName[name, default: 0] += t["samples"] as? Int ?? 0
            }
            let tags = tagRows(try pprof.run(["-tags"]), "task_name")
            XCTAssertFalse(tags.isEmpty, "\(example): no task_name label in pprof's -tags")
            for (name, samples) in byName where samples > 0 {
                XCTAssertEqual(
                    tags[name], Double(samples), "\(example): task \(name) has \(samples) samples in taskprof, \(tags[name] ?? 0) in pprof")
            }

            // Top functions by self samples: -top against the JSON's functions.
            let top = try pprof.run(["-top", "-nodecount=30"])
            let functions = (json["functions"] as? [[String: Any]] ?? []).prefix(2)
            for f in functions where (f["self"] as? Int ?? 0) > 0 {
                let name = f["shortName"] as? String ?? "", selfSamples = f["self"] as? Int ?? 0
                // pprof marks an inlined function " (inline)".
                let row = top.split(separator: "\n").first { $0.hasSuffix("  " + name) || $0.hasSuffix("  " + name + " (inline)") }
                XCTAssertNotNil(row, "\(example): \(name) missing from pprof -top:\n\(top)")
                let flat = row.flatMap { Int($0.split(separator: " ").first ?? "") }
                XCTAssertEqual(flat, selfSamples, "\(example): \(name) self samples")
            }

            // Every sample is in a trace: the counts of -traces add up to the total.
            let traces = try pprof.run(["-traces"])
            var counted = 0
            for line in traces.split(separator: "\n") {
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                // "       158   mix(_:)": a trace's count and its leaf (label lines start with a key).
                if fields.count >= 2, let n = Int(fields[0]) { counted += n }
            }
            XCTAssertEqual(counted, total, "\(example): -traces")
        }
    }

    /// One location per code address, inside its module's mapping; an address read back from the
    /// binary with addr2line gives the line pprof shows for it (the innermost inlined one).
    func testLocationsAreAddressesTheBinaryAgreesWith() throws {
        let (_, pprof) = try record("TwoTasks")
        let raw = try pprof.run(["-raw"])
        let lines = raw.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let locStart = lines.firstIndex(of: "Locations"), let mapStart = lines.firstIndex(of: "Mappings") else {
            return XCTFail("no Locations/Mappings in pprof -raw:\n\(raw.prefix(2000))")
        }
        // "1: 0x557600e08000/0x557600e0c348/0x0 /path/TwoTasks <build-id> [FN]..."
        struct Mapping { var start, limit, offset: UInt64; var file: String }
        var mappings: [Int: Mapping] = [:]
        for line in lines[(mapStart + 1)...] {
            let f = line.split(separator: " ")
            guard f.count >= 2, let id = Int(f[0].dropLast()) else { continue }
            let r = f[1].split(separator: "/").compactMap { UInt64($0.dropFirst(2), radix: 16) }
            if r.count == 3 { mappings[id] = Mapping(start: r[0], limit: r[1], offset: r[2], file: String(f[2])) }
        }
        // "     1: 0x557600e0a8cc M=1 mix(_:) /src/main.swift:10 s=0(...)"; inlined callers follow
        // on lines of their own.
        var addresses: [UInt64] = [], ours: [(address: UInt64, line: String)] = []
        let binary = try TestSupport.binary("TwoTasks")
        for line in lines[(locStart + 1)..<mapStart] {
            let f = line.split(separator: " ")
            guard f.count >= 3, f[0].hasSuffix(":"), Int(f[0].dropLast()) != nil else { continue }
            let address = try XCTUnwrap(UInt64(f[1].dropFirst(2), radix: 16), line)
            let m = try XCTUnwrap(Int(f[2].dropFirst(2)).flatMap { mappings[$0] }, line)
            XCTAssertTrue((m.start..<m.limit).contains(address), "\(line): outside its mapping")
            addresses.append(address)
            // The file:line pprof shows, for the example's own code.
            if let at = line.range(of: #"(\S+):(\d+) s="#, options: .regularExpression),
                URL(fileURLWithPath: m.file).resolvingSymlinksInPath().path == URL(fileURLWithPath: binary).resolvingSymlinksInPath().path
            {
                let fileLine = line[at].dropLast(3)
                // Line 0: none known (addr2line says "?").
                if !fileLine.hasSuffix(":0") { ours.append((address - m.start + m.offset, (String(fileLine) as NSString).lastPathComponent)) }
            }
        }
        XCTAssertGreaterThan(addresses.count, 5)
        XCTAssertEqual(Set(addresses).count, addresses.count, "one location per address")
        XCTAssertGreaterThan(ours.count, 3, "locations in TwoTasks itself:\n\(raw.prefix(3000))")
        let a2l = try TestSupport.run(["/usr/bin/env", "addr2line", "-e", binary] + ours.map { "0x" + String($0.address, radix: 16) })
        XCTAssertEqual(a2l.status, 0, a2l.stderr)
        let back = a2l.stdout.split(separator: "\n").map { line in
            // "/src/main.swift:10" or "/src/main.swift:10 (discriminator 1)"
            (String(line.split(separator: " ")[0]) as NSString).lastPathComponent
        }
        XCTAssertEqual(back.count, ours.count, a2l.stdout)
        // Where the line table has no line for an address (line 0, compiler-generated code;
        // addr2line says "?"), taskprof names the nearest known one: nothing to compare there.
        let known = zip(back, ours.map(\.line)).filter { !$0.0.hasSuffix(":?") }
        XCTAssertGreaterThan(known.count, 3, a2l.stdout)
        XCTAssertEqual(known.map(\.0), known.map(\.1), "addr2line against pprof's lines")
    }

    /// `--pprof-blocking`: the blocking calls as blocked time, by primitive label.
    func testBlockingProfile() throws {
        let dir = try TestSupport.tempDir()
        let out = dir + "/b.taskprof", json = dir + "/b.json", pb = dir + "/b.pb.gz"
        let r = try TestSupport.run(
            [
                try TestSupport.binary("taskprof"), "record", "-q", "-o", out, "--json", json, "--pprof-blocking", pb, "--",
                try TestSupport.binary("BlockingCalls"),
            ])
        XCTAssertEqual(r.status, 0, r.stderr)
        let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        let calls = obj["blockingCalls"] as? [[String: Any]] ?? []
        XCTAssertFalse(calls.isEmpty)
        var env = ProcessInfo.processInfo.environment
        env["HOME"] = env["HOME"] ?? NSTemporaryDirectory()
        let tags = try TestSupport.run(["/usr/bin/env", "go", "tool", "pprof", "-sample_index=calls", "-tags", pb], environment: env)
        XCTAssertEqual(tags.status, 0, tags.stderr)
        let byPrimitive = tagRows(tags.stdout, "primitive")
        var expected: [String: Int] = [:]
        for c in calls { expected[c["primitive"] as? String ?? "", default: 0] += c["count"] as? Int ?? 0 }
        for (primitive, count) in expected {
            XCTAssertEqual(byPrimitive[primitive], Double(count), "\(primitive): \(tags.stdout)")
        }
    }
}

/// `--speedscope` on a real program: the file matches the format's schema, and its weights add
/// up to the profile's samples.
final class SpeedscopeEndToEndTests: XCTestCase {
    func testAsyncChainExportMatchesTheSchema() throws {
        let dir = try TestSupport.tempDir()
        let out = dir + "/s.taskprof", json = dir + "/s.json", ss = dir + "/s.speedscope.json"
        let r = try TestSupport.run(
            [
                try TestSupport.binary("taskprof"), "record", "-q", "-o", out, "--json", json, "--speedscope", ss, "--",
                try TestSupport.binary("AsyncChain"),
            ])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try TestSupport.validateSpeedscope(ss), "valid")
        let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: ss))) as? [String: Any])
        let weights = (obj["profiles"] as? [[String: Any]] ?? []).flatMap { $0["weights"] as? [Int] ?? [] }.reduce(0, +)
        let summary = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        let samples = (summary["profile"] as? [String: Any])?["samples"] as? Int ?? -1
        XCTAssertGreaterThan(samples, 100)
        XCTAssertEqual(weights, samples)
    }
}

/// `record --timeline` and `report --trace` on a real program: every job of the run is a slice,
/// each event follows the trace format (TraceCheck), and nothing was dropped.
final class TraceEndToEndTests: XCTestCase {
    func testTimelineOfLongPoll() throws {
        let dir = try TestSupport.tempDir()
        let out = dir + "/t.taskprof", trace = dir + "/t.json", json = dir + "/t.summary.json"
        let r = try TestSupport.run(
            [
                try TestSupport.binary("taskprof"), "record", "-q", "--timeline", "-o", out, "--trace", trace, "--json", json, "--",
                try TestSupport.binary("LongPoll"),
            ])
        XCTAssertEqual(r.status, 0, r.stderr)
        let events = try TraceCheck.check(try Data(contentsOf: URL(fileURLWithPath: trace)))
        let summary = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        let counters = try XCTUnwrap((summary["profile"] as? [String: Any])?["counters"] as? [String: Any])
        let jobs = events.filter { ($0["cat"] as? String)?.hasPrefix("job") == true }
        let dropped = counters["timeline.dropped"] as? Int ?? -1
        XCTAssertEqual(jobs.count + dropped, counters["jobs"] as? Int, "a slice for every job the agent counted, but those it says it dropped")
        XCTAssertLessThan(dropped * 100, jobs.count, "under 1 % dropped (1 MB event rings)")
        let polls = jobs.filter { $0["cat"] as? String == "job,long poll" }
        XCTAssertEqual(polls.count, (summary["longPolls"] as? [Any])?.count)
        let crunches = polls.filter { ($0["name"] as? String)?.hasPrefix("cruncher") == true }
        XCTAssertEqual(crunches.count, 5, "the cruncher's five crunches: \(polls.map { $0["name"] ?? "" })")
        XCTAssertTrue(crunches.allSatisfy { (($0["args"] as? [String: Any])?["stack"] as? [String])?.first == "crunch(_:)" })
        // Task tracks for the 200 short tasks and the cruncher, with flows into the thread tracks.
        let taskTracks = Set(events.filter { $0["cat"] as? String == "task" }.compactMap { $0["tid"] as? Int })
        XCTAssertGreaterThanOrEqual(taskTracks.count, 201)
        XCTAssertGreaterThan(events.filter { $0["ph"] as? String == "s" }.count, 1000)
    }
}
