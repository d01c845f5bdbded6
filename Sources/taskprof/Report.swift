import ArgumentParser
import Foundation
import TaskProfModel
import TaskProfReports

extension TaskProf {
    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Summarize a profile, or write it as folded stacks, JSON or HTML.",
            discussion: "With no output option, prints the summary to standard output."
        )

        @Argument(help: ArgumentHelp("A profile written by `taskprof record`.", valueName: "profile"))
        var profile: String

        @OptionGroup var reports: ReportOutputOptions

        @Option(
            name: .customLong("process"),
            help: ArgumentHelp(
                "In a profile of several processes (record --follow-children): report one, by pid, pid.image, executable name, or a regular expression searched in its command line (as record --process).",
                valueName: "process"))
        var process: String?

        @Option(name: .long, help: "Colour in the summary: auto (on a terminal), always or never.")
        var color: String = "auto"

        @Option(
            name: .long,
            help: ArgumentHelp("Count tasks suspended this long at the end as stuck (default: what `record --stuck` said).", valueName: "duration"))
        var stuck: StuckDuration?

        func validate() throws {
            guard ["auto", "always", "never"].contains(color) else { throw ValidationError("--color must be auto, always or never") }
        }

        func run() throws {
            var p: Profile
            do { p = try ProfileFile.read(path: profile) } catch { throw CLIError(error) }
            if let process { p = try ProcessSelection.select(process, in: p) }
            if let stuck { p.stuckThresholdNs = stuck.nanoseconds }
            try reports.write(p)
            if !reports.writesAnything {
                let useColor = color == "always" || (color == "auto" && Console.stdoutIsTerminal)
                print(TerminalSummary(p.viewing(reports.stacks.value), color: useColor).text, terminator: "")
            }
        }
    }
}
