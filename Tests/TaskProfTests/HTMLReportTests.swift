import Foundation
import TaskProfAnalysis
import TaskProfModel
@testable import TaskProfReports
import TaskProfTestSupport
import XCTest

final class HTMLReportTests: XCTestCase {
    static let hostileNames = Fixtures.hostileNames
    static func hostileProfile() -> Profile { Fixtures.hostileProfile() }

    static let tempDir = FileManager.default.temporaryDirectory.appendingPathComponent("taskprof-html-tests-\(getpid())")

    override class func tearDown() {
        try? FileManager.default.removeItem(at: tempDir)
        super.tearDown()
    }

    static func render(_ p: Profile, name: String) throws -> (path: String, html: String) {
        let dir = tempDir
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent(name).path
        let sink = try OutputSink(path: path)
        HTMLReport(profile: p).render(to: sink)
        sink.close()
        let data = try XCTUnwrap(FileManager.default.contents(atPath: path))
        return (path, String(decoding: data, as: UTF8.self))
    }

    static let dataOpen = "<script type=\"application/json\" id=\"data\">"

    /// The text of the data block (what the page hands to JSON.parse).
    static func dataBlock(_ html: String) throws -> String {
        let open = try XCTUnwrap(html.range(of: dataOpen), "no data block")
        let close = try XCTUnwrap(html.range(of: "</script>", range: open.upperBound..<html.endIndex))
        return String(html[open.upperBound..<close.lowerBound])
    }

    static func dataObject(_ html: String) throws -> [String: Any] {
        let text = try dataBlock(html)
        let obj = try JSONSerialization.jsonObject(with: Data(text.utf8))
        return try XCTUnwrap(obj as? [String: Any])
    }

    private func occurrences(of needle: String, in s: String) -> Int {
        s.lowercased().components(separatedBy: needle.lowercased()).count - 1
    }

    // MARK: - Escaping

    func testHostileNamesNeverAppearRaw() throws {
        let (_, html) = try Self.render(Self.hostileProfile(), name: "hostile.html")
        // Only the page's own three scripts (boot, data, main) open or close a script element.
        XCTAssertEqual(occurrences(of: "</script", in: html), 3)
        XCTAssertEqual(occurrences(of: "<script", in: html), 3)
        for n in Self.hostileNames {
            XCTAssertFalse(html.contains(n), "raw name in the page: \(n)")
        }
        XCTAssertFalse(html.contains("<img"))
        XCTAssertFalse(html.contains("alert(1)</"))
        XCTAssertFalse(html.contains("<!-- x"))
        // The data block holds no character that HTML could read as markup.
        let block = try Self.dataBlock(html)
        XCTAssertFalse(block.contains("<"))
        XCTAssertFalse(block.contains(">"))
        XCTAssertFalse(block.contains("&"))
        XCTAssertFalse(block.contains("\u{2028}"))
        // Data reaches the DOM only through textContent: the template never uses innerHTML & co.
        for sink in ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"] {
            XCTAssertFalse(WebPage.text("report.html").contains(sink), "template uses \(sink)")
        }
    }

    func testDataBlockParsesBackWithNamesIntact() throws {
        let p = Self.hostileProfile()
        let (_, html) = try Self.render(p, name: "hostile.html")
        let d = try Self.dataObject(html)
        let funcs = try XCTUnwrap(d["funcs"] as? [[Any]])
        let shortNames = Set(funcs.compactMap { $0[0] as? String })
        let modules = try XCTUnwrap(d["modules"] as? [String])
        let files = try XCTUnwrap(d["files"] as? [String])
        for n in Self.hostileNames {
            XCTAssertTrue(shortNames.contains(n), "function \(n) missing")
            XCTAssertTrue(modules.contains("Mod\(n)"))
            XCTAssertTrue(files.contains("/src/\(n).swift"))
        }
        XCTAssertTrue(funcs.contains { ($0[1] as? String) == "Demo.\(Self.hostileNames[1])(Swift.Int) -> ()" })
        let tasks = try XCTUnwrap(d["tasks"] as? [[Any]])
        XCTAssertEqual(tasks.map { $0[1] as? String }, p.tasks.map(\.name))
        let threads = try XCTUnwrap(d["threads"] as? [[Any]])
        XCTAssertEqual(threads.map { $0[1] as? String }, p.threads.map(\.name))
        XCTAssertEqual(threads.map { $0[4] as? String }, p.threads.map(\.label))
        let meta = try XCTUnwrap(d["meta"] as? [String: Any])
        XCTAssertEqual(meta["command"] as? [String], p.meta.command)
        XCTAssertEqual(meta["host"] as? String, p.meta.host)
        XCTAssertEqual(meta["notes"] as? [String], p.meta.notes)
        XCTAssertEqual((meta["samples"] as? NSNumber)?.uint64Value, p.sampleCount)
        XCTAssertEqual((meta["dropped"] as? NSNumber)?.uint64Value, 2)
        let polls = try XCTUnwrap(d["longPolls"] as? [[Any]])
        XCTAssertEqual(polls.count, 1)
        XCTAssertEqual((d["blocking"] as? [Any])?.count, 0)
    }

    func testNoNetworkReferences() throws {
        let (_, html) = try Self.render(Self.hostileProfile(), name: "hostile.html")
        XCTAssertFalse(html.lowercased().contains("http://"))
        XCTAssertFalse(html.lowercased().contains("https://"))
        XCTAssertFalse(html.contains("//cdn"))
        XCTAssertFalse(html.lowercased().contains("@import"))
        XCTAssertFalse(html.lowercased().contains("url("))
        XCTAssertTrue(html.contains("Content-Security-Policy\" content=\"default-src 'none'"))
    }

    // MARK: - The data means what the profile says

    /// Decodes the front-coded stacks and checks that every sample group comes back with its
    /// task, thread, count and the same frames (function, module, file, line), root first.
    private func assertRoundTrip(_ p: Profile, file: StaticString = #filePath, line: UInt = #line) throws {
        let (_, html) = try Self.render(p, name: "roundtrip.html")
        let d = try Self.dataObject(html)
        let modules = try XCTUnwrap(d["modules"] as? [String])
        let files = try XCTUnwrap(d["files"] as? [String])
        let funcs = try XCTUnwrap(d["funcs"] as? [[Any]])
        let frames = try XCTUnwrap(d["frames"] as? [[Int]])
        let stacks = try XCTUnwrap(d["stacks"] as? [[Int]])
        let samples = try XCTUnwrap(d["samples"] as? [Int])
        let tasks = try XCTUnwrap(d["tasks"] as? [[Any]])

        struct F: Hashable { var function: String; var module: String; var file: String?; var line: Int? }
        func decodeFrame(_ i: Int) -> F {
            let fr = frames[i], fn = funcs[fr[0]]
            let short = fn[0] as! String, full = fn[1] as! String
            return F(
                function: full.isEmpty ? short : full, module: modules[fn[2] as! Int],
                file: fr[1] >= 0 ? files[fr[1]] : nil, line: fr[2] == 0 ? nil : fr[2])
        }
        var decoded: [[F]] = []
        var previous: [Int] = []
        var previousFuncs: [Int] = []
        for s in stacks {
            let cur = Array(previous.prefix(s[0])) + s.dropFirst()
            decoded.append(cur.map(decodeFrame))
            // Stacks come ordered by function path, which the page relies on.
            let funcsPath = cur.map { frames[$0][0] }
            XCTAssertFalse(funcsPath.lexicographicallyPrecedes(previousFuncs), "stacks not ordered by function path", file: file, line: line)
            previous = cur
            previousFuncs = funcsPath
        }
        struct Key: Hashable { var task: UInt64; var thread: Int; var frames: [F] }
        var got: [Key: UInt64] = [:]
        for i in stride(from: 0, to: samples.count, by: 4) {
            let t = samples[i]
            let id: UInt64 = t < 0 ? 0 : ((tasks[t][0] as? NSNumber)?.uint64Value ?? UInt64(tasks[t][0] as! String)!)
            got[Key(task: id, thread: samples[i + 1], frames: decoded[samples[i + 2]]), default: 0] += UInt64(samples[i + 3])
        }
        var want: [Key: UInt64] = [:]
        for s in p.samples {
            let fs = p.stacks[Int(s.stack)].map { i -> F in
                let f = p.frames[Int(i)]
                return F(function: f.function, module: f.module, file: f.file, line: f.line)
            }
            want[Key(task: s.taskID, thread: Int(s.thread), frames: fs), default: 0] += UInt64(s.count)
        }
        XCTAssertEqual(got, want, file: file, line: line)
    }

    func testStacksRoundTripHostile() throws {
        try assertRoundTrip(Self.hostileProfile())
    }

    func testStacksRoundTripSynthetic() throws {
        try assertRoundTrip(SyntheticProfile.make(distinctStacks: 3_000, seed: 7))
    }

    func testEmptyProfileRenders() throws {
        let (_, html) = try Self.render(Profile(meta: ProfileMeta(command: [])), name: "empty.html")
        let d = try Self.dataObject(html)
        XCTAssertEqual((d["stacks"] as? [Any])?.count, 0)
        XCTAssertTrue(d["runtime"] is NSNull)
    }

    // MARK: - Size

    func testHundredThousandStacksStayUnder15MB() throws {
        let p = SyntheticProfile.make(distinctStacks: 100_000, seed: 1)
        XCTAssertEqual(p.stacks.count, 100_000)
        let start = Date()
        let (path, html) = try Self.render(p, name: "stacks100k.html")
        let seconds = Date().timeIntervalSince(start)
        let size = html.utf8.count
        print(
            "HTMLReport: 100k stacks -> \(size) bytes (\(String(format: "%.2f", Double(size) / 1_048_576)) MiB) in \(String(format: "%.2f", seconds)) s: \(path)"
        )
        XCTAssertLessThan(size, 15_000_000)
        let d = try Self.dataObject(html)
        XCTAssertEqual((d["stacks"] as? [Any])?.count, 100_000)
        // For Tests/browser/measure_100k.sh: keep the page, and the profile for timing the CLI.
        let env = ProcessInfo.processInfo.environment
        if let out = env["TASKPROF_HTML_100K_OUT"] {
            try? FileManager.default.removeItem(atPath: out)
            try FileManager.default.copyItem(atPath: path, toPath: out)
        }
        if let out = env["TASKPROF_PROFILE_100K_OUT"] {
            try ProfileFile.write(p, to: out)
        }
    }

    /// Job statistics survive the file, including the actor-queue wait appended to the section
    /// after version 1.
    func testJobSummaryRoundTripsThroughTheFile() throws {
        let p = Self.hostileProfile()
        let path = Self.tempDir.appendingPathComponent("jobs.taskprof").path
        try FileManager.default.createDirectory(at: Self.tempDir, withIntermediateDirectories: true)
        try ProfileFile.write(p, to: path)
        let back = try ProfileFile.read(path: path)
        XCTAssertEqual(back.jobs, p.jobs)
        XCTAssertEqual(back.jobs?.runtime.actorQueueWait.count, 12)
        let html = try Self.render(p, name: "jobs.html").html
        XCTAssertTrue(html.contains("\"actorWaitP50Ns\":18000000"), "the page gets the actor wait")
    }

    // MARK: - In a browser (needs chromium: `make test` installs it)

    func testSelfTestInHeadlessChromium() throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("browser/check_report.sh").path
        for (name, profile) in [
            ("hostile.html", Self.hostileProfile()),
            ("synthetic.html", SyntheticProfile.make(distinctStacks: 20_000, seed: 3)),
        ] {
            let (path, _) = try Self.render(profile, name: name)
            let proc = Process()
            proc.executableURL = URL(fileURLWithPath: "/bin/bash")
            proc.arguments = [script, path]
            let pipe = Pipe()
            proc.standardOutput = pipe
            proc.standardError = pipe
            try proc.run()
            let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            proc.waitUntilExit()
            XCTAssertEqual(proc.terminationStatus, 0, "\(name): \(out)")
        }
    }
}
