import Foundation
import TaskProfTestSupport

/// Runs `perf record --call-graph dwarf` on an example and reads its stacks, as the reference
/// taskprof's stacks are compared with (PerfAgreementTests). perf unwinds after the fact from a
/// copy of the user stack with the binaries' DWARF CFI: right in prologues, epilogues and code
/// without frame pointers, which is what the agent must match.
enum PerfSupport {
    static var perfPath: String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return (path.split(separator: ":").map { $0 + "/perf" } + ["/usr/bin/perf"])
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Why perf cannot sample a process of ours here (not installed, no perf for this kernel,
    /// perf_event_open refused), or nil when it can. User-space CPU-clock events only, so
    /// perf_event_paranoid 2 is enough.
    static func whyPerfCannotRun() throws -> String? {
        guard let perf = perfPath else { return "perf is not installed (Debian package linux-perf)" }
        let dir = try TestSupport.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try TestSupport.run([perf, "record", "-q", "-e", "cpu-clock:u", "-o", dir + "/probe.data", "--", "/bin/true"])
        if r.status == 0 { return nil }
        let why = r.stderr.split(separator: "\n").map(String.init).filter { !$0.isEmpty }.suffix(3).joined(separator: " / ")
        return "perf record cannot run here (exit \(r.status)): \(why)"
    }

    /// One sample's frames, leaf first, with perf's symbol names (mangled for Swift).
    typealias Stack = [String]

    /// Records `binary args` at 999 Hz with DWARF call graphs and returns every sample's stack.
    static func recordDwarf(_ binary: String, _ args: [String], in dir: String) throws -> [Stack] {
        guard let perf = perfPath else { throw TestFailure("perf not found") }
        let data = dir + "/perf.data"
        let r = try TestSupport.run(
            [
                perf, "record", "-q", "-e", "cpu-clock:u", "-F", "999", "--call-graph", "dwarf",
                "-o", data, "--", binary,
            ] + args)
        guard r.status == 0 else { throw TestFailure("perf record \(binary) failed (\(r.status)): \(r.stderr)") }
        let s = try TestSupport.run([perf, "script", "-i", data, "-F", "tid,ip,sym,dso"])
        guard s.status == 0 else { throw TestFailure("perf script failed (\(s.status)): \(s.stderr)") }
        return parseScript(s.stdout)
    }

    /// Parses `perf script -F tid,ip,sym,dso`: a header line per sample, then one indented line
    /// per frame (`<ip> <symbol> (<dso or "inlined">)`), leaf first, and a blank line. Inlined
    /// frames are kept: taskprof expands inlines too.
    static func parseScript(_ text: String) -> [Stack] {
        var stacks: [Stack] = []
        var current: Stack = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty {
                if !current.isEmpty { stacks.append(current) }
                current = []
                continue
            }
            // Frame lines start with whitespace; the header line (the tid) does not.
            guard line.first == " " || line.first == "\t" else { continue }
            let fields = trimmed.split(separator: " ", maxSplits: 1).map(String.init)
            guard fields.count == 2 else { continue }
            var symbol = fields[1]
            if let open = symbol.range(of: " (", options: .backwards) { symbol = String(symbol[..<open.lowerBound]) }
            current.append(symbol)
        }
        if !current.isEmpty { stacks.append(current) }
        return stacks
    }

    /// Simplified demangled names (the form taskprof prints) for mangled Swift names, through the
    /// toolchain's swift-demangle; each name maps to itself if that fails.
    static func demangle(_ names: Set<String>) throws -> [String: String] {
        let sorted = names.sorted()
        guard !sorted.isEmpty else { return [:] }
        let r = try TestSupport.run(["/usr/bin/env", "swift-demangle", "--simplified"], stdin: sorted.joined(separator: "\n") + "\n")
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard r.status == 0, lines.count >= sorted.count else { throw TestFailure("swift-demangle failed: \(r.stderr)") }
        return Dictionary(uniqueKeysWithValues: zip(sorted, lines.prefix(sorted.count)))
    }

    /// Whether a mangled symbol is a Swift entity of `module`: `$s<n><module>…`.
    static func isInModule(_ mangled: String, _ module: String) -> Bool {
        mangled.hasPrefix("$s\(module.utf8.count)\(module)")
    }
}
