import ArgumentParser
import Foundation
import TaskProfModel
import TaskProfRecord
import TaskProfReports

extension TaskProf {
    struct Dump: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the live Swift tasks of a program running under `taskprof record`, without stopping it.",
            discussion: """
                For every live task: its state, what it waits on and for how long, and its await
                stack (where it will resume, then each awaiting caller) with file:line; then what the
                stuck ones suggest. taskprof finds the program's stream directory in
                /proc/PID/environ, leaves a request file there, and the agent's writer thread (which
                looks every 100 ms) appends a dump to the recording and answers; the dump is part of
                the profile `record` writes in the end. The program sees nothing of it.
                """
        )

        @Argument(help: ArgumentHelp("The process id of the program (as `taskprof record` started it, or a child it follows).", valueName: "pid"))
        var pid: Int32

        @Option(
            name: .long,
            help: ArgumentHelp("Also write the dump as JSON (`liveTasks`, docs/JSON.md) to FILE ('-' for standard output).", valueName: "file"))
        var json: String?

        @Option(
            name: .long,
            help: ArgumentHelp("Count tasks suspended this long as stuck (e.g. 1.5, 500ms, 2min).", valueName: "duration"))
        var stuck: StuckDuration = StuckDuration(nanoseconds: Profile.defaultStuckThresholdNs)

        @Option(name: .long, help: ArgumentHelp("How long to wait for the agent's answer.", valueName: "seconds"))
        var timeout: Double = 5

        func validate() throws {
            guard pid > 0 else { throw ValidationError("give the process id of a program running under `taskprof record`") }
            guard timeout > 0 else { throw ValidationError("--timeout must be a positive number of seconds") }
        }

        func run() throws {
            var request = LiveDump(pid: pid)
            request.timeoutSeconds = timeout
            let profile: Profile
            do {
                let raw = try request.take()
                profile = request.profile(of: raw, stuckNs: stuck.nanoseconds)
            } catch {
                throw CLIError(error)
            }
            if let json {
                do { try JSONSummary(profile).write(to: json) } catch { throw CLIError(error) }
                if json == "-" { return }
            }
            let at = profile.taskDumps.first.map { String(format: " at %.2f s into the run", Double($0.timeNs) / 1e9) } ?? ""
            print("taskprof dump: pid \(request.pid), \(profile.meta.command.joined(separator: " "))\(at)")
            print(TerminalSummary(profile, color: Console.stdoutIsTerminal).liveTasksText, terminator: "")
        }
    }
}
