import ArgumentParser

/// The `taskprof` command: a task-aware sampling profiler for Swift Concurrency programs.
@main
struct TaskProf: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "taskprof",
        abstract: "A task-aware sampling profiler for Swift Concurrency and SwiftNIO programs on Linux.",
        discussion: """
            Record a run with no code change, then look at it per Swift task:
              taskprof record -o run.taskprof -- .build/release/MyBench --iterations 10
              taskprof report run.taskprof --html run.html
            and ask a running one which tasks are alive and what they wait on:
              taskprof dump PID
            """,
        version: "0.1.0",
        subcommands: [Record.self, Report.self, Convert.self, Diff.self, Dump.self]
    )
}
