import CTaskProfSupport
import Foundation
import TaskProfModel
import TaskProfSymbolize

public struct RecordOptions: Sendable {
    public var command: [String]
    public var output: String
    public var rateHz: Int = 999
    /// nil: the agent chooses (SIGTRAP from perf sigtrap, else SIGPROF).
    public var signal: Int32?
    public var engine: String = "auto"
    public var followChildren = false
    /// `--process` patterns (TASKPROF_PROCESS): only matching processes are profiled.
    public var processes: [String] = []
    public var measureHandler = false
    public var longPollMs: Double = 10
    public var blockingMs: Double = 1
    /// Tasks suspended at least this long at the end are stuck (`--stuck`).
    public var stuckNs: UInt64 = Profile.defaultStuckThresholdNs
    /// `--timeline`: the agent writes every job (for `report --trace`), up to this many; 0 = off.
    public var timelineCap: UInt64 = 0
    public var agentPath: String?

    public init(command: [String], output: String) {
        self.command = command
        self.output = output
    }
}

public enum RecordError: Error, CustomStringConvertible {
    case outputNotWritable(String, String)
    case agentMissing(String)
    case spawnFailed(String, Int32)
    case noStream(String)
    case engineUnavailable(String)

    public var description: String {
        switch self {
        case .outputNotWritable(let p, let why): return "cannot write the profile to \(p): \(why)"
        case .agentMissing(let p):
            return "the agent library is missing (looked for \(p)); build it with `swift build -c release` or set TASKPROF_AGENT"
        case .spawnFailed(let p, let e): return "could not start \(p): \(String(cString: strerror(e)))"
        case .engineUnavailable(let why): return why
        case .noStream(let dir):
            return "the target wrote no profile data (nothing in \(dir)): it may have exited before the agent started, or cleared LD_PRELOAD"
        }
    }
}

/// How the target ended, in the terms a shell uses.
public struct TargetExit: Sendable, Equatable {
    public var exited: Bool
    public var code: Int32
    public var cpuTimeNs: UInt64

    /// The status taskprof itself exits with: the target's, or 128+N after death by signal N.
    public var shellStatus: Int32 { exited ? code : 128 + code }

    public var description: String {
        exited ? "exit \(code)" : "killed by signal \(code) (\(signalName(code)))"
    }
}

public func signalName(_ sig: Int32) -> String {
    let names: [Int32: String] = [
        1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT", 7: "SIGBUS",
        8: "SIGFPE", 9: "SIGKILL", 11: "SIGSEGV", 13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM",
    ]
    return names[sig] ?? "signal \(sig)"
}

/// `taskprof record`: validate, run the target with the agent injected, then turn what the agent
/// streamed into a profile. Raw streams are kept if anything after the run fails.
public struct Recorder {
    public var options: RecordOptions
    public var log: (String) -> Void

    public init(options: RecordOptions, log: @escaping (String) -> Void) {
        self.options = options
        self.log = log
    }

    /// Everything that can be checked before the target runs.
    public func validate() throws -> (executable: String, agent: String) {
        guard let first = options.command.first else { throw TargetValidator.Problem.notFound("") }
        let exe = try TargetValidator.resolve(first)
        try Self.checkWritable(options.output)
        let agent = options.agentPath ?? Self.defaultAgentPath()
        guard FileManager.default.isReadableFile(atPath: agent) else { throw RecordError.agentMissing(agent) }
        return (exe, agent)
    }

    static func checkWritable(_ output: String) throws {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: output, isDirectory: &isDir) {
            if isDir.boolValue { throw RecordError.outputNotWritable(output, "it is a directory") }
            if access(output, W_OK) != 0 { throw RecordError.outputNotWritable(output, "permission denied") }
        }
        let dir = (output as NSString).deletingLastPathComponent
        let parent = dir.isEmpty ? "." : dir
        guard FileManager.default.fileExists(atPath: parent, isDirectory: &isDir), isDir.boolValue else {
            throw RecordError.outputNotWritable(output, "directory \(parent) does not exist")
        }
        if access(parent, W_OK) != 0 { throw RecordError.outputNotWritable(output, "directory \(parent) is not writable") }
    }

    public static func defaultAgentPath() -> String {
        if let env = ProcessInfo.processInfo.environment["TASKPROF_AGENT"], !env.isEmpty { return env }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return ((exe as NSString).deletingLastPathComponent as NSString).appendingPathComponent("libTaskProfAgent.so")
    }

    /// Runs the target and returns its exit plus the raw stream directory.
    public func runTarget(executable: String, agent: String) throws -> (TargetExit, rawDir: String, pid: Int32) {
        let dir = (options.output as NSString).deletingLastPathComponent
        let rawDir = (dir.isEmpty ? "." : dir) + "/.taskprof-raw-\(getpid())"
        try? FileManager.default.removeItem(atPath: rawDir)
        try FileManager.default.createDirectory(atPath: rawDir, withIntermediateDirectories: true)
        let absoluteRaw = rawDir.hasPrefix("/") ? rawDir : FileManager.default.currentDirectoryPath + "/" + rawDir

        var env = ProcessInfo.processInfo.environment
        let preload = env["LD_PRELOAD"].map { agent + ":" + $0 } ?? agent
        env["LD_PRELOAD"] = preload
        env["TASKPROF_AGENT"] = agent
        env["TASKPROF_RAW_DIR"] = absoluteRaw
        env["TASKPROF_RATE"] = String(options.rateHz)
        if let signal = options.signal { env["TASKPROF_SIGNAL"] = String(signal) }
        env["TASKPROF_ENGINE"] = options.engine
        env["TASKPROF_LONG_POLL_NS"] = String(UInt64(options.longPollMs * 1_000_000))
        env["TASKPROF_BLOCKING_NS"] = String(UInt64(options.blockingMs * 1_000_000))
        if options.followChildren { env["TASKPROF_FOLLOW"] = "1" }
        if !options.processes.isEmpty { env["TASKPROF_PROCESS"] = options.processes.joined(separator: "\n") }
        if options.measureHandler { env["TASKPROF_MEASURE"] = "1" }
        if options.timelineCap > 0 { env["TASKPROF_TIMELINE"] = String(options.timelineCap) }

        let argv = [executable] + options.command.dropFirst()
        let envp = env.map { "\($0.key)=\($0.value)" }
        let pid = withCStrings(argv) { cargv in withCStrings(envp) { cenv in tp_spawn(executable, cargv, cenv) } }
        guard pid > 0 else { throw RecordError.spawnFailed(executable, -pid) }
        tp_forward_signals_to(pid)
        var result = tp_wait_result()
        let rc = tp_wait(pid, &result)
        tp_stop_forwarding()
        guard rc == 0 else { throw SystemCallError(call: "wait4", errno: -rc, subject: "\(pid)") }
        let cpu = UInt64(max(result.user_cpu_us + result.system_cpu_us, 0)) * 1000
        return (TargetExit(exited: result.exited != 0, code: result.status, cpuTimeNs: cpu), rawDir, pid)
    }

    /// Reads and symbolizes every stream in `rawDir` (one per process image) and writes one
    /// profile: a run that followed children or exec'd is one profile of several processes
    /// (docs/FORMAT.md). Deletes the streams once it is written.
    /// `targetPid` nil (`taskprof convert DIR`): the process that started first.
    public func convert(rawDir: String, targetPid: Int32?, exit: TargetExit?, removeStreams: Bool = true) throws -> Profile {
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: rawDir)) ?? []).filter { $0.hasSuffix(".raw") }.sorted()
        guard !files.isEmpty else { throw RecordError.noStream(rawDir) }
        // A process that exec'd has one stream per image (<pid>.raw, <pid>.1.raw, …), ordered by
        // their start. Only the headers are read to order them; each stream is then parsed alone.
        let streams = try files.map { file -> (path: String, pid: Int32, start: UInt64) in
            let h = try RawRecording.readHeader(path: rawDir + "/" + file)
            return (rawDir + "/" + file, h.pid, h.startMonotonicNs)
        }.sorted { ($0.start, $0.pid) < ($1.start, $1.pid) }
        let targetPid = targetPid ?? streams[0].pid
        var images: [Int32: Int] = [:]
        var lastImage: [Int32: Int] = [:]
        for (i, s) in streams.enumerated() { lastImage[s.pid] = i }
        var parts: [(profile: Profile, process: ProfiledProcess)] = []
        for (i, stream) in streams.enumerated() {
            let raw = try RawRecording.read(path: stream.path)
            let image = images[stream.pid, default: 0]
            images[stream.pid] = image + 1
            let isTarget = stream.pid == targetPid && lastImage[stream.pid] == i && exit != nil
            var process = ProfiledProcess(
                pid: raw.pid, parentPid: raw.parentPid, image: image, executable: raw.executable,
                command: raw.commandLine.isEmpty && stream.pid == targetPid && image == 0 ? options.command : raw.commandLine)
            if let exec = raw.execPath {
                process.exitDescription = "exec'd \(exec)"
            } else if isTarget, let exit {
                process.exitDescription = exit.description
            } else {
                process.exitDescription = raw.complete ? "ended" : "ended without the agent's final flush"
            }
            let profile = build(raw, process: process, isTarget: isTarget, exit: exit, single: streams.count == 1)
            parts.append((profile, process))
        }
        var profile: Profile
        if parts.count == 1 {
            profile = parts[0].profile
        } else {
            var meta = ProfileMeta(command: options.command)
            meta.host = ProcessInfo.processInfo.hostName
            meta.pid = targetPid
            meta.exitDescription = exit?.description ?? "unknown (converted)"
            // wait4's CPU time is the whole command's, unprofiled processes included: with
            // --process it would not be the CPU time of what the profile shows.
            meta.targetCPUTimeNs = options.processes.isEmpty ? exit?.cpuTimeNs ?? 0 : 0
            profile = Profile.merging(parts, meta: meta)
        }
        try ProfileFile.write(profile, to: options.output)
        if removeStreams { try? FileManager.default.removeItem(atPath: rawDir) }
        return profile
    }

    /// One image's profile. Only the target's last image gets the exit status and CPU time.
    private func build(_ raw: RawRecording, process: ProfiledProcess, isTarget: Bool, exit: TargetExit?, single: Bool) -> Profile {
        var meta = ProfileMeta(command: single || process.command.isEmpty ? options.command : process.command)
        meta.host = ProcessInfo.processInfo.hostName
        meta.exitDescription = process.exitDescription
        // wait4's CPU time is the whole command's, its children included: the target's own only
        // when every process of the run is profiled.
        if isTarget && options.processes.isEmpty { meta.targetCPUTimeNs = exit?.cpuTimeNs ?? 0 }
        if !raw.complete {
            meta.notes.append(
                "the process ended without the agent's final flush (crash, signal or _exit): the last few milliseconds of samples may be missing")
        }
        let symbolizer = DwarfSymbolizerFactory.make(raw.modules)
        var builder = ProfileBuilder(
            longPollThresholdNs: UInt64(options.longPollMs * 1_000_000),
            progress: { done, total in
                if total > 20_000 && done % 20_000 == 0 { log("symbolizing \(process.label): \(done)/\(total) stacks") }
            })
        builder.blockingThresholdNs = UInt64(options.blockingMs * 1_000_000)
        builder.stuckThresholdNs = options.stuckNs
        return builder.build(raw: raw, symbolizer: symbolizer, meta: meta)
    }
}

/// Calls `body` with a NULL-terminated C array of the strings, valid only during the call.
func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    var cstrings: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    cstrings.append(nil)
    defer { cstrings.forEach { free($0) } }
    return cstrings.withUnsafeBufferPointer { body($0.baseAddress!) }
}
