import TaskProfModel

/// `report --process` and `diff --process`: one process of a profile of several.
enum ProcessSelection {
    /// `diff --process`: every process the selector matches (a program run several times, as
    /// package-benchmark runs each benchmark, is compared as a whole).
    static func selectAll(_ selector: String, in p: Profile, side: String) throws -> Profile {
        guard !p.processes.isEmpty else { return try select(selector, in: p) }
        let matches = p.processIndices(matching: selector)
        guard !matches.isEmpty else {
            throw CLIError(
                message:
                    "no process of the \(side) profile matches '\(selector)' (processes: \(p.processes.prefix(8).map(\.label).joined(separator: ", ")))"
            )
        }
        return matches.count == 1 ? p.process(at: matches[0]) : p.restricted(toProcesses: Set(matches))
    }

    static func select(_ selector: String, in p: Profile) throws -> Profile {
        guard !p.processes.isEmpty else {
            if selector == String(p.meta.pid) || p.meta.command.joined(separator: " ").contains(selector) { return p }
            throw CLIError(message: "this profile is of one process (pid \(p.meta.pid)), and --process '\(selector)' does not name it")
        }
        let matches = p.processIndices(matching: selector)
        func list(_ ks: [Int]) -> String {
            ks.prefix(8).map { p.processes[$0].label }.joined(separator: ", ") + (ks.count > 8 ? ", … (\(ks.count) in all)" : "")
        }
        guard !matches.isEmpty else {
            throw CLIError(
                message:
                    "no process matches '\(selector)' (processes: \(list(Array(p.processes.indices)))); give a pid, pid.image, executable name, or a regular expression over the command line"
            )
        }
        if matches.count == 1 { return p.process(at: matches[0]) }
        // A pid that exec'd names each of its images: then pid.image picks one.
        let exact = matches.filter { String(p.processes[$0].pid) == selector }
        if exact.count == 1 { return p.process(at: exact[0]) }
        throw CLIError(message: "'\(selector)' matches \(matches.count) processes: \(list(matches)); give one pid (or pid.image)")
    }
}
