import ArgumentParser
import Foundation
import TaskProfAnalysis
import TaskProfModel
import TaskProfReports

extension TaskProf {
    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compare two profiles, e.g. two builds of one program, and show what grew or shrank.",
            discussion: """
                Functions are matched by symbolized name and module, not by address, so two builds compare. \
                A change is marked significant (*) when a test on the sample counts says it is not sampling noise \
                (p < 0.001 after a Bonferroni correction over the functions compared) and it is at least 0.5 \
                percentage points.

                Exit status: 0; 1 with --fail-on-regression when a significant growth exceeds the limit; 2 when a \
                profile cannot be read or an output cannot be written. See docs/DIFF.md.
                """
        )

        @Argument(help: ArgumentHelp("The profile to compare against (the old build).", valueName: "base"))
        var base: String

        @Argument(help: ArgumentHelp("The profile to compare (the new build).", valueName: "new"))
        var newProfile: String

        @Option(name: .long, help: ArgumentHelp("Write the differential flame graph and tables as one self-contained HTML file.", valueName: "file"))
        var html: String?

        @Option(
            name: .long,
            help: ArgumentHelp(
                "Write differential folded stacks (`stack count_base count_new`) to FILE ('-' for standard output).", valueName: "file"))
        var folded: String?

        @Option(name: .long, help: ArgumentHelp("Write the diff as JSON to FILE ('-' for standard output).", valueName: "file"))
        var json: String?

        @Option(
            name: .long,
            help: ArgumentHelp(
                "Normalize by total samples (shares) or by recorded duration (samples per second): samples or time.", valueName: "samples|time"))
        var normalize: NormalizeArgument = .samples

        @Option(
            name: .customLong("fail-on-regression"),
            help: ArgumentHelp(
                "Exit with status 1 when a function's self or total share, or a task's CPU share, grew significantly by more than PCT percentage points.",
                valueName: "pct"))
        var failOnRegression: Double?

        @Option(name: .long, help: ArgumentHelp("Compare only the tasks with this name.", valueName: "name"))
        var task: String?

        @Option(
            name: .customLong("process"),
            help: ArgumentHelp(
                "In profiles of several processes (record --follow-children): compare only the processes with this pid, executable name, or command line matching this regular expression (as record --process), on each side.",
                valueName: "process"))
        var process: String?

        @Option(
            name: .long,
            help: ArgumentHelp(
                "Compare logical stacks (with awaiting async callers, the default) or physical ones; use physical against a profile recorded without logical stacks.",
                valueName: "logical|physical"))
        var stacks: StackViewArgument = .logical

        @Option(name: .long, help: "Colour in the table: auto (on a terminal), always or never.")
        var color: String = "auto"

        func validate() throws {
            if let limit = failOnRegression {
                guard limit.isFinite, limit >= 0, limit <= 100 else {
                    throw ValidationError("--fail-on-regression must be a number of percentage points between 0 and 100, not \(limit)")
                }
            }
            if let task, task.isEmpty { throw ValidationError("--task needs a task name") }
            guard ["auto", "always", "never"].contains(color) else { throw ValidationError("--color must be auto, always or never") }
            let toStdout = [html, folded, json].filter { $0 == "-" }.count
            guard toStdout <= 1 else { throw ValidationError("only one of --html, --folded and --json can write to standard output ('-')") }
            for path in [html, folded, json].compactMap({ $0 }) where path.isEmpty {
                throw ValidationError("an output option needs a file name ('-' for standard output)")
            }
        }

        func run() throws {
            let bp: Profile, np: Profile
            let d: ProfileDiff
            do {
                var b = try ProfileFile.read(path: base), n = try ProfileFile.read(path: newProfile)
                if let process {
                    b = try ProcessSelection.selectAll(process, in: b, side: "base")
                    n = try ProcessSelection.selectAll(process, in: n, side: "new")
                }
                bp = b.viewing(stacks.value)
                np = n.viewing(stacks.value)
                d = try ProfileDiff(base: bp, new: np, options: DiffOptions(normalization: normalize.value, taskName: task))
            } catch {
                Console.error("taskprof: \(error)")
                throw ExitCode(2)
            }
            do {
                if let folded { try DiffFoldedRenderer(base: bp, new: np, taskName: task).write(to: folded) }
                if let json { try DiffJSON(d).write(to: json) }
                if let html { try DiffHTMLReport(diff: d, base: bp, new: np).write(to: html) }
            } catch {
                Console.error("taskprof: \(error)")
                throw ExitCode(2)
            }
            if ![html, folded, json].contains("-") {
                let useColor = color == "always" || (color == "auto" && Console.stdoutIsTerminal)
                print(DiffTable(d, color: useColor).text, terminator: "")
            }
            if let limit = failOnRegression {
                let violations = d.violations(thresholdPoints: limit)
                if !violations.isEmpty {
                    for v in violations { Console.error("taskprof: regression: \(v)") }
                    Console.error(
                        "taskprof: \(violations.count) significant growth\(violations.count == 1 ? "" : "s") above --fail-on-regression \(String(format: "%g", limit)) points"
                    )
                    throw ExitCode(1)
                }
            }
        }
    }
}

enum NormalizeArgument: String, ExpressibleByArgument, CaseIterable {
    case samples
    case time

    var value: DiffNormalization { DiffNormalization(rawValue: rawValue) ?? .samples }
}
