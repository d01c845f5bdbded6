import Foundation
import TaskProfTestSupport
import XCTest

/// taskprof's stacks against `perf record --call-graph dwarf` on the same binaries (issue 14:
/// caller→callee edges agree with perf for >= 99 % of samples), with and without frame pointers.
///
/// What "agree" means. The two tools name runtime and library frames differently (perf prints
/// mangled names, `[unknown]`, its own inline expansion of libraries), so only the example's own
/// functions are compared: for each sample, its *chain* is the sequence of the example module's
/// functions on its stack, leaf first (a chain fixes every caller→callee edge between them, and
/// which one is the leaf). A taskprof sample agrees when perf saw the same chain in at least
/// 0.1 % of its samples (and at least twice). A frame-pointer walk that skips the caller of a tiny
/// leaf gives chains perf never sees (`tiny ← driverA`), and one that loses every frame of a build
/// without frame pointers gives `leaf` alone: those are the failures this test exists for. Rare
/// but real chains (a sample in a driver's own loop) are seen by both tools, and perf's own
/// occasional truncated stacks never make taskprof's samples disagree. Samples with no example
/// frame at all (dynamic loader, runtime start-up) are left out on both sides.
///
/// Skips only when perf cannot run here (not installed, or perf_event_open refused), with why.
final class PerfAgreementTests: XCTestCase {
    /// Share of taskprof's samples whose chain perf confirms; the bar of the issue.
    static let requiredAgreement = 0.99
    /// The other way round: perf's samples whose chain taskprof also shows often enough. Lower,
    /// because perf's DWARF unwinding itself truncates a stack now and then (~0.5 % on TinyLeaf).
    static let requiredReverseAgreement = 0.95
    /// A chain is confirmed by a profile that holds it in at least this share of its samples…
    static let confirmShare = 0.001
    /// …and at least this many times.
    static let confirmCount = 2

    override func setUpWithError() throws {
        if let why = try PerfSupport.whyPerfCannotRun() { throw XCTSkip(why) }
    }

    func testTinyLeafAgreesWithPerf() throws {
        try checkAgreement(binary: TestSupport.binary("TinyLeaf"), module: "TinyLeaf")
    }

    func testTinyLeafWithoutFramePointersAgreesWithPerf() throws {
        try checkAgreement(binary: buildWithoutFramePointers("TinyLeaf", checking: "4tiny"), module: "main")
    }

    func testDeepStacksAgreesWithPerf() throws {
        try checkAgreement(binary: TestSupport.binary("DeepStacks"), args: ["0", "12"], module: "DeepStacks")
    }

    func testDeepStacksWithoutFramePointersAgreesWithPerf() throws {
        try checkAgreement(binary: buildWithoutFramePointers("DeepStacks", checking: "6middle"), args: ["0", "12"], module: "main")
    }

    func testTwoTasksAgreesWithPerf() throws {
        try checkAgreement(binary: TestSupport.binary("TwoTasks"), module: "TwoTasks")
    }

    // MARK: helpers

    /// The example built with plain `swiftc -O -g` (module `main`), checked to really have no
    /// frame pointer in `function` (a mangled-name fragment, e.g. "4tiny"): otherwise the test
    /// would prove nothing about such builds.
    private func buildWithoutFramePointers(_ example: String, checking function: String) throws -> String {
        let exe = try TestSupport.tempDir() + "/\(example)-nofp"
        let c = try TestSupport.run(["/usr/bin/env", "swiftc", "-O", "-g", TestSupport.packageRoot + "/Examples/\(example)/main.swift", "-o", exe])
        XCTAssertEqual(c.status, 0, c.stderr)
        let dis = try TestSupport.run(["/usr/bin/objdump", "-d", "--no-show-raw-insn", exe]).stdout
        // The function's own block (its header line, not a call to it), up to the blank line.
        guard let start = dis.range(of: #"\n[0-9a-f]+ <\$s4main"# + function + #"[^>]*>:\n"#, options: .regularExpression) else {
            throw TestFailure("\(function) not found in \(exe)")
        }
        let body = String(dis[start.upperBound...]).components(separatedBy: "\n\n").first ?? ""
        XCTAssertFalse(body.contains("push   %rbp"), "expected no frame pointer in \(function) of \(exe)")
        return exe
    }

    /// Records `binary` with both tools and checks that their chains of `module`'s functions agree.
    private func checkAgreement(
        binary: String, args: [String] = [], module: String,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let dir = try TestSupport.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }

        // perf: mangled names; the module's own are demangled to taskprof's simplified form.
        let perfStacks = try PerfSupport.recordDwarf(binary, args, in: dir)
        let mangled = Set(perfStacks.joined().filter { PerfSupport.isInModule($0, module) })
        let demangled = try PerfSupport.demangle(mangled)
        let perfNamed = perfStacks.map { stack in stack.compactMap { demangled[$0].map(Self.normalize) } }
        let vocabulary = Set(perfNamed.joined())

        // taskprof: physical stacks (what was on the thread, as perf sees it), folded root first.
        let r = try TestSupport.run(
            [
                try TestSupport.binary("taskprof"), "record", "-q", "-o", dir + "/t.taskprof",
                "--folded", dir + "/t.folded", "--stacks", "physical", "--group-by", "none", "--", binary,
            ] + args)
        XCTAssertEqual(r.status, 0, r.stderr, file: file, line: line)
        let folded = try TestSupport.parseFolded(String(contentsOfFile: dir + "/t.folded", encoding: .utf8))
        let taskprofNames = Set(folded.flatMap { $0.frames.map(Self.normalize) })

        // Every example function perf finds on >= 1 % of its stacks must have a name taskprof also
        // prints: otherwise the chains below would quietly leave it out on both sides.
        let perfTotal = perfNamed.filter { !$0.isEmpty }.count
        var inclusive: [String: Int] = [:]
        for stack in perfNamed { for name in Set(stack) { inclusive[name, default: 0] += 1 } }
        let unnamed = inclusive.filter { $0.value * 100 >= perfTotal && !taskprofNames.contains($0.key) }.keys.sorted()
        XCTAssertEqual(
            unnamed, [], "example functions perf sees that taskprof never names (lost, or named differently)",
            file: file, line: line)
        let shared = vocabulary.intersection(taskprofNames)

        // Chains (leaf first) with their sample counts, per tool.
        var perfChains: [[String]: Int] = [:]
        for stack in perfNamed {
            let chain = stack.filter(shared.contains)
            if !chain.isEmpty { perfChains[chain, default: 0] += 1 }
        }
        var taskprofChains: [[String]: Int] = [:]
        for (frames, count) in folded {
            let chain = frames.reversed().map(Self.normalize).filter(shared.contains)
            if !chain.isEmpty { taskprofChains[chain, default: 0] += count }
        }

        let (agree, total, wrong) = Self.confirmed(taskprofChains, by: perfChains)
        let (reverseAgree, reverseTotal, missing) = Self.confirmed(perfChains, by: taskprofChains)
        XCTAssertGreaterThan(total, 200, "too few taskprof samples in \(module) code", file: file, line: line)
        XCTAssertGreaterThan(reverseTotal, 200, "too few perf samples in \(module) code", file: file, line: line)
        let share = Double(agree) / Double(max(total, 1))
        let reverseShare = Double(reverseAgree) / Double(max(reverseTotal, 1))
        let summary =
            "\(binary): taskprof \(agree)/\(total) = \(String(format: "%.2f", share * 100)) % of samples confirmed by perf; "
            + "perf \(reverseAgree)/\(reverseTotal) = \(String(format: "%.2f", reverseShare * 100)) % confirmed by taskprof"
        print(summary)
        XCTAssertGreaterThanOrEqual(
            share, Self.requiredAgreement,
            "\(summary)\ntaskprof chains perf does not confirm (leaf first): \(Self.describe(wrong))",
            file: file, line: line)
        XCTAssertGreaterThanOrEqual(
            reverseShare, Self.requiredReverseAgreement,
            "\(summary)\nperf chains taskprof does not confirm (leaf first): \(Self.describe(missing))",
            file: file, line: line)
    }

    /// (samples confirmed, samples, unconfirmed chains) of `chains` against `reference`. A chain
    /// (leaf first) is confirmed when the reference has it, or has it as the caller side of a
    /// longer chain: a sample whose leaf is `heavyWork` itself, under `closure #2`, is confirmed by
    /// the reference's `mix ← heavyWork ← closure #2`. What is checked is who calls whom, not where
    /// the leaves land, which the two runs' scheduling moves: the reference never had a leaf in
    /// heavyWork's loop, while a run on a loaded machine (preempted mid-loop) had 9 of 549.
    static func confirmed(_ chains: [[String]: Int], by reference: [[String]: Int]) -> (Int, Int, [[String]: Int]) {
        let referenceTotal = reference.values.reduce(0, +)
        let minimum = max(confirmCount, Int((Double(referenceTotal) * confirmShare).rounded(.up)))
        var callerSides: [[String]: Int] = [:]
        for (chain, count) in reference {
            for k in 0..<chain.count { callerSides[Array(chain.dropFirst(k)), default: 0] += count }
        }
        var agree = 0, total = 0
        var unconfirmed: [[String]: Int] = [:]
        for (chain, count) in chains {
            total += count
            if (callerSides[chain] ?? 0) >= minimum { agree += count } else { unconfirmed[chain] = count }
        }
        return (agree, total, unconfirmed)
    }

    static func describe(_ chains: [[String]: Int]) -> String {
        chains.sorted { $0.value > $1.value }.prefix(5).map { "\($0.key.joined(separator: " ← ")) ×\($0.value)" }
            .joined(separator: "; ")
    }

    /// One spelling for both tools' names of the same function: perf's simplified demangling
    /// writes `specialized f()` and `closure #2 in ` (top-level code has no name), taskprof
    /// `f() [specialized]` and `closure #2 in TwoTasks`.
    static func normalize(_ name: String) -> String {
        var n = name
        while n.hasPrefix("specialized ") { n.removeFirst("specialized ".count) }
        if n.hasSuffix(" [specialized]") { n.removeLast(" [specialized]".count) }
        if let r = n.range(of: #"closure #\d+ in "#, options: .regularExpression) { n = String(n[..<r.upperBound]) }
        return n
    }
}
