import ArgumentParser
import Foundation
import TaskProfModel
import TaskProfRecord
import TaskProfReports

extension TaskProf {
    struct Convert: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Turn the agent's raw stream into a profile.",
            discussion: """
                `record` does this by itself; use `convert` when it kept the raw streams because
                something failed after the run, or to re-symbolize a raw stream.
                """
        )

        @Argument(
            help: ArgumentHelp(
                "A raw stream (<pid>.raw) written by the agent, or the directory of a run's streams (.taskprof-raw-<pid>: one profile of all its processes).",
                valueName: "raw"))
        var raw: String

        @Option(name: [.short, .long], help: ArgumentHelp("Profile to write.", valueName: "file"))
        var output: String

        @Option(
            name: .customLong("long-poll"), help: ArgumentHelp("Report Swift jobs that run longer than this without suspending.", valueName: "ms"))
        var longPoll: Double = 10

        func validate() throws {
            guard longPoll > 0 else { throw ValidationError("--long-poll must be a positive number of milliseconds") }
        }

        func run() throws {
            do {
                var isDir: ObjCBool = false
                if FileManager.default.fileExists(atPath: raw, isDirectory: &isDir), isDir.boolValue {
                    var options = RecordOptions(command: ["(converted from \(raw))"], output: output)
                    options.longPollMs = longPoll
                    // The run's first process stands for the command (its exit status is not known).
                    let profile = try Recorder(options: options, log: { Console.error($0) })
                        .convert(rawDir: raw, targetPid: nil, exit: nil, removeStreams: false)
                    Console.error(TerminalSummary(profile).text + "profile written to \(output)")
                    return
                }
                let stream = try RawRecording.read(path: raw)
                var meta = ProfileMeta(command: ["(converted from \(raw))"])
                meta.host = ProcessInfo.processInfo.hostName
                meta.exitDescription = "unknown (converted)"
                let profile = ProfileBuilder(longPollThresholdNs: UInt64(longPoll * 1_000_000))
                    .build(raw: stream, symbolizer: DwarfSymbolizerFactory.make(stream.modules), meta: meta)
                try ProfileFile.write(profile, to: output)
                Console.error(TerminalSummary(profile).text + "profile written to \(output)")
            } catch {
                throw CLIError(error)
            }
        }
    }
}
