/// One process image of a recording that followed children (`record --follow-children`).
///
/// A run that follows children is one profile: every process's threads, tasks and samples sit
/// in the one `Profile`, each thread naming its process (`ThreadInfo.process`). A process that
/// exec'd has one entry per image, in order (`image` 0, 1, …), all with the same pid.
public struct ProfiledProcess: Sendable, Equatable {
    public var pid: Int32
    public var parentPid: Int32
    /// 0 for the process's first image, n for the image its n-th exec started.
    public var image: Int
    public var executable: String
    /// The image's own command line, as /proc/self/cmdline had it at start.
    public var command: [String]
    /// "exit 0", "exec'd /usr/bin/swift-build", "child process", …
    public var exitDescription: String
    /// From the recording's start (the earliest image's), nanoseconds.
    public var startOffsetNs: UInt64
    public var durationNs: UInt64
    public var complete: Bool
    /// The process's own counters (the profile's are the sums over its processes).
    public var counters: [String: UInt64]
    public var notes: [String]
    /// The process's own Swift runtime figures (the profile's `jobs.runtime` combines them).
    public var jobRuntime: RuntimeJobStats?
    /// Build-id of the process's executable.
    public var buildID = ""
    /// CPU time from wait4, for the process `record` started (its last image); else 0.
    public var cpuTimeNs: UInt64 = 0

    public init(
        pid: Int32, parentPid: Int32 = 0, image: Int = 0, executable: String = "", command: [String] = [],
        exitDescription: String = "", startOffsetNs: UInt64 = 0, durationNs: UInt64 = 0, complete: Bool = true,
        counters: [String: UInt64] = [:], notes: [String] = []
    ) {
        self.pid = pid
        self.parentPid = parentPid
        self.image = image
        self.executable = executable
        self.command = command
        self.exitDescription = exitDescription
        self.startOffsetNs = startOffsetNs
        self.durationNs = durationNs
        self.complete = complete
        self.counters = counters
        self.notes = notes
    }

    /// The executable's file name (what `--process` matches first).
    public var name: String {
        let path = executable.isEmpty ? (command.first ?? "") : executable
        return path.split(separator: "/").last.map(String.init) ?? path
    }

    /// "name [pid]", or "name [pid.image]" for a later image of a process that exec'd.
    public var label: String { image == 0 ? "\(name) [\(pid)]" : "\(name) [\(pid).\(image)]" }
}

extension TaskInfo {
    /// Task ids are per process; a profile of several processes keeps them apart by putting the
    /// process index in the id's top 16 bits (Swift's task ids count up from 1 and stay far below).
    public static let processShift: UInt64 = 48

    public static func globalID(_ id: UInt64, process: Int) -> UInt64 {
        id == 0 ? 0 : id | (UInt64(process) << processShift)
    }

    /// The id the process itself gave the task.
    public static func localID(_ id: UInt64) -> UInt64 { id & ((1 << processShift) - 1) }

    /// "task N" for a task with no name, N the process's own id.
    public static func unnamedLabel(_ id: UInt64) -> String { "task \(localID(id))" }

    /// Index into `Profile.processes` of a task id.
    public static func processIndex(_ id: UInt64) -> Int { Int(id >> processShift) }
}
