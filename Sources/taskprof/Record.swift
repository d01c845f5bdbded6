import ArgumentParser
import Foundation
import TaskProfModel
import TaskProfRecord
import TaskProfReports

extension TaskProf {
    struct Record: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a program under the profiler and write a profile.",
            discussion: """
                The program's arguments, standard input and output and exit status pass through unchanged;
                SIGINT and SIGTERM sent to taskprof are forwarded to it. The summary goes to standard error.
                """
        )

        @Option(name: [.short, .long], help: ArgumentHelp("Profile to write.", valueName: "file"))
        var output: String?

        @Option(name: .long, help: ArgumentHelp("Samples per second of CPU time, per thread (1-10000).", valueName: "hz"))
        var rate: Int = 999

        @Option(
            name: .long,
            help: ArgumentHelp(
                "Deliver samples with this signal (name or number) instead of perf's own SIGTRAP, for targets that trap SIGTRAP themselves (default: SIGTRAP, or SIGPROF where the kernel lacks perf sigtrap).",
                valueName: "sig"))
        var signal: String?

        @Option(name: .long, help: "Sampling engine: auto (perf task-clock, else CPU timers), perf or timer.")
        var engine: String = "auto"

        @Flag(name: .customLong("follow-children"), help: "Profile child processes too (and what they exec): one profile with a table of processes.")
        var followChildren = false

        @Option(
            name: .customLong("process"),
            help: ArgumentHelp(
                "Follow children (implied), but profile only these processes: a NAME of letters, digits and ._-+ is an executable's file name (MyBenchmarks); anything else is a POSIX extended regular expression searched in the command line ('xctest .*MyTests'). Repeatable. The other processes run unprofiled.",
                valueName: "name"))
        var processes: [String] = []

        @Option(
            name: .customLong("long-poll"), help: ArgumentHelp("Report Swift jobs that run longer than this without suspending.", valueName: "ms"))
        var longPoll: Double = 10

        @Option(name: .long, help: ArgumentHelp("Report blocking calls on runtime threads that block at least this long.", valueName: "ms"))
        var blocking: Double = 1

        @Option(
            name: .long,
            help: ArgumentHelp(
                "Tasks still suspended this long when the program ends are stuck: the summary shows their await stacks and what they wait on.",
                valueName: "duration"))
        var stuck: StuckDuration = StuckDuration(nanoseconds: Profile.defaultStuckThresholdNs)

        @Flag(
            name: .long,
            help: "Record every Swift job's enqueue, start and end (not only long polls), for `report --trace`'s task tracks and flows.")
        var timeline = false

        @Option(
            name: .customLong("timeline-cap"),
            help: ArgumentHelp("With --timeline: at most this many jobs are written (the rest are counted as timeline.dropped).", valueName: "jobs"))
        var timelineCap: UInt64 = 1_000_000

        @Flag(name: .customLong("measure-handler"), help: "Time every sample in the agent (for benchmarks).")
        var measureHandler = false

        @Flag(name: [.short, .long], help: "Do not print the summary.")
        var quiet = false

        @OptionGroup var reports: ReportOutputOptions

        @Argument(parsing: .postTerminator, help: ArgumentHelp("The program to profile and its arguments, after `--`.", valueName: "command"))
        var command: [String] = []

        var programArguments: [String] { command }

        func validate() throws {
            guard !programArguments.isEmpty else {
                throw ValidationError("give the program to profile after `--`, e.g. taskprof record -o run.taskprof -- .build/release/MyBench")
            }
            guard (1...10_000).contains(rate) else { throw ValidationError("--rate must be between 1 and 10000 samples per second, not \(rate)") }
            guard ["auto", "perf", "timer"].contains(engine) else { throw ValidationError("--engine must be auto, perf or timer, not '\(engine)'") }
            guard signal == nil || parsedSignal != nil else {
                throw ValidationError(
                    "--signal '\(signal ?? "")' is not a signal this agent can use (try SIGPROF, SIGRTMIN+2 or a number 1-64 other than SIGKILL/SIGSTOP/SIGSEGV)"
                )
            }
            guard longPoll > 0 else { throw ValidationError("--long-poll must be a positive number of milliseconds") }
            guard blocking > 0 else { throw ValidationError("--blocking must be a positive number of milliseconds") }
            for pattern in processes {
                if let problem = ProcessPattern.problem(pattern) { throw ValidationError("--process '\(pattern)': \(problem)") }
            }
            if let problem = ProcessPattern.problem(all: processes) { throw ValidationError(problem) }
        }

        var parsedSignal: Int32? {
            guard let signal else { return nil }
            let names: [String: Int32] = [
                "SIGPROF": SIGPROF, "PROF": SIGPROF, "SIGVTALRM": SIGVTALRM, "VTALRM": SIGVTALRM,
                "SIGUSR1": SIGUSR1, "USR1": SIGUSR1, "SIGUSR2": SIGUSR2, "USR2": SIGUSR2,
            ]
            var n: Int32?
            if let v = names[signal.uppercased()] {
                n = v
            } else if let v = Int32(signal) {
                n = v
            } else if signal.uppercased().hasPrefix("SIGRTMIN+"), let off = Int32(signal.dropFirst(9)) {
                n = Int32(__libc_current_sigrtmin()) + off
            }
            guard let n, n > 0, n < 65, ![SIGKILL, SIGSTOP, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGCHLD].contains(n) else { return nil }
            return n
        }

        func run() throws {
            let args = programArguments
            let output = self.output ?? ((args[0] as NSString).lastPathComponent + ".taskprof")
            var options = RecordOptions(command: args, output: output)
            options.rateHz = rate
            options.signal = parsedSignal
            options.engine = engine
            options.followChildren = followChildren || !processes.isEmpty
            options.processes = processes
            options.measureHandler = measureHandler
            options.longPollMs = longPoll
            options.blockingMs = blocking
            options.stuckNs = stuck.nanoseconds
            options.timelineCap = timeline ? max(timelineCap, 1) : 0
            let recorder = Recorder(options: options, log: { Console.error($0) })
            let target: (executable: String, agent: String)
            do { target = try recorder.validate() } catch { throw CLIError(error) }
            let engineNotice: String?
            do { engineNotice = try EngineCheck.current().notice(engine: engine) } catch { throw CLIError(error) }
            if let engineNotice, !quiet { Console.error("taskprof: " + engineNotice) }

            let (exit, rawDir, pid) = try recorder.runTarget(executable: target.executable, agent: target.agent)
            let profile: Profile
            do {
                profile = try recorder.convert(rawDir: rawDir, targetPid: pid, exit: exit)
            } catch RecordError.noStream(let dir) where !processes.isEmpty {
                try? FileManager.default.removeItem(atPath: dir)
                Console.error(
                    "taskprof: no process matched --process \(processes.map { "'\($0)'" }.joined(separator: ", ")); nothing was profiled (it matches an executable's file name, or a regular expression over its command line)"
                )
                throw ExitCode(exit.exited && exit.code == 0 ? 1 : exit.shellStatus)
            } catch {
                Console.error("taskprof: \(error)")
                Console.error(
                    "taskprof: the agent's raw streams are kept in \(rawDir); turn them into a profile with `taskprof convert \(rawDir) -o \(output)`"
                )
                throw ExitCode(exit.exited && exit.code == 0 ? 1 : exit.shellStatus)
            }
            if !quiet {
                Console.error(
                    TerminalSummary(profile.viewing(reports.stacks.value), color: Console.stderrIsTerminal).text + "profile written to \(output)")
            }
            do { try reports.write(profile) } catch { Console.error("taskprof: \(error)") }
            if exit.shellStatus != 0 { throw ExitCode(exit.shellStatus) }
        }
    }
}
