import ArgumentParser
import Foundation
import TaskProfAnalysis
import TaskProfExport
import TaskProfModel
import TaskProfReports

/// Report outputs shared by `record` and `report`.
struct ReportOutputOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Write FlameGraph folded stacks to FILE ('-' for standard output).", valueName: "file"))
    var folded: String?

    @Option(name: .long, help: ArgumentHelp("Write the machine-readable JSON summary to FILE ('-' for standard output).", valueName: "file"))
    var json: String?

    @Option(name: .long, help: ArgumentHelp("Write the self-contained HTML report to FILE.", valueName: "file"))
    var html: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Write the CPU profile as gzip-compressed pprof (go tool pprof, Pyroscope, Parca), samples labelled by task and thread.",
            valueName: "file"))
    var pprof: String?

    @Option(
        name: .customLong("pprof-blocking"),
        help: ArgumentHelp("Write the blocking calls as a pprof profile of blocked time (like Go's block profile).", valueName: "file"))
    var pprofBlocking: String?

    @Option(
        name: .long, help: ArgumentHelp("Write a speedscope file: one sampled profile per task (and per thread outside tasks).", valueName: "file"))
    var speedscope: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Write a timeline for Perfetto's UI (Chrome JSON trace): jobs, long polls, blocking calls and samples per thread; task tracks and flows with `record --timeline`.",
            valueName: "file"))
    var trace: String?

    @Option(
        name: .customLong("group-by"),
        help:
            "Root frame of folded stacks: task, task-name, task-kind (a named task's name, else the closure that started it), thread, process or none."
    )
    var groupBy: GroupByArgument = .task

    @Option(
        name: .long,
        help: ArgumentHelp(
            "logical: a resumed async function's awaiting callers (from the task's async contexts) sit above the runtime frames; physical: only what was on the thread's stack.",
            valueName: "logical|physical"))
    var stacks: StackViewArgument = .logical

    @Option(name: .long, help: ArgumentHelp("Keep only one task, by name or id.", valueName: "name|id"))
    var task: String?

    var writesAnything: Bool {
        folded != nil || json != nil || html != nil || pprof != nil || pprofBlocking != nil || speedscope != nil || trace != nil
    }

    var writesToStdout: Bool { folded == "-" || json == "-" || speedscope == "-" || trace == "-" }

    func scope(for profile: Profile) throws -> Scope {
        guard let task else { return .all }
        guard let scope = Scope.task(task, in: profile) else {
            let known = profile.tasks.prefix(8).map(\.label).joined(separator: ", ")
            throw ValidationError("no task named or numbered '\(task)' in this profile (tasks: \(known.isEmpty ? "none" : known))")
        }
        return scope
    }

    func write(_ recorded: Profile) throws {
        let profile = recorded.viewing(stacks.value)
        let scope = try scope(for: profile)
        if let folded { try FoldedRenderer(profile, scope: scope, groupBy: groupBy.value).write(to: folded) }
        if let json { try JSONSummary(profile).write(to: json) }
        if let html { try HTMLReport(profile: profile).write(to: html) }
        if let pprof { try PprofRenderer(profile.restricted(to: scope)).write(to: pprof) }
        if let pprofBlocking { try PprofRenderer(profile, kind: .blocking).write(to: pprofBlocking) }
        if let speedscope { try SpeedscopeRenderer(profile.restricted(to: scope)).write(to: speedscope) }
        if let trace { try TraceRenderer(profile).write(to: trace) }
    }
}

enum GroupByArgument: String, ExpressibleByArgument, CaseIterable {
    case task
    case taskName = "task-name"
    case taskKind = "task-kind"
    case thread
    case process
    case none

    var value: GroupBy { GroupBy(rawValue: rawValue) ?? .task }
}

enum StackViewArgument: String, ExpressibleByArgument, CaseIterable {
    case logical
    case physical

    var value: StackView { StackView(rawValue: rawValue) ?? .logical }
}
