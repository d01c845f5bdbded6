import Foundation

/// What `record` says before the program starts about the sampling engine the agent will pick
/// (tp_sampler.c decides; this reads the same two settings): perf's task-clock needs
/// `perf_event_paranoid` ≤ 2, and its SIGTRAP delivery a kernel from 5.19 on.
public struct EngineCheck: Sendable, Equatable {
    public var paranoid: Int?
    public var kernelRelease: String

    /// The machine's settings; TASKPROF_PERF_PARANOID and TASKPROF_KERNEL_RELEASE pretend others
    /// (tests; the agent reads the same kernel override).
    public static func current(environment: [String: String] = ProcessInfo.processInfo.environment) -> EngineCheck {
        let paranoidText =
            environment["TASKPROF_PERF_PARANOID"]
            ?? (try? String(contentsOfFile: "/proc/sys/kernel/perf_event_paranoid", encoding: .utf8)) ?? ""
        var release = environment["TASKPROF_KERNEL_RELEASE"] ?? ""
        if release.isEmpty {
            var u = utsname()
            uname(&u)
            release = withUnsafeBytes(of: &u.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        return EngineCheck(paranoid: Int(paranoidText.trimmingCharacters(in: .whitespacesAndNewlines)), kernelRelease: release)
    }

    public var perfAllowed: Bool { (paranoid ?? 2) <= 2 }

    /// Major and minor of the release ("5.15.0-91-generic" → (5, 15)).
    var kernelVersion: (Int, Int)? {
        let parts = kernelRelease.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        return parts.count == 2 ? (parts[0], parts[1]) : nil
    }

    public var hasPerfSigtrap: Bool { kernelVersion.map { $0 >= (5, 19) } ?? true }

    /// A line for the user before the run, or nil when the default engine runs as usual.
    /// Throws when `--engine perf` cannot work here.
    public func notice(engine: String) throws -> String? {
        if engine == "timer" { return nil }
        if !perfAllowed {
            let fix = "`sudo sysctl kernel.perf_event_paranoid=2` allows it"
            if engine == "perf" {
                throw RecordError.engineUnavailable(
                    "--engine perf needs perf_event_open, which perf_event_paranoid \(paranoid ?? 0) forbids (\(fix)); or use --engine auto")
            }
            return
                "perf_event_paranoid is \(paranoid ?? 0): sampling with per-thread CPU timers, limited to about 250 samples/s per thread by the kernel's tick (\(fix))"
        }
        if !hasPerfSigtrap {
            return
                "kernel \(kernelRelease) is older than 5.19: samples arrive as a signal on perf's descriptor (fasync) instead of perf's own SIGTRAP"
        }
        return nil
    }
}
