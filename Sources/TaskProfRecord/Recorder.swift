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
    public var measureHandler = false
    public var longPollMs: Double = 10
    public var blockingMs: Double = 1
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

    public var description: String {
        switch self {
        case .outputNotWritable(let p, let why): return "cannot write the profile to \(p): \(why)"
        case .agentMissing(let p):
            return "the agent library is missing (looked for \(p)); build it with `swift build -c release` or set TASKPROF_AGENT"
        case .spawnFailed(let p, let e): return "could not start \(p): \(String(cString: strerror(e)))"
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
    let names: [Int32: String] = [1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT", 7: "SIGBUS",
                                  8: "SIGFPE", 9: "SIGKILL", 11: "SIGSEGV", 13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM"]
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
        if options.measureHandler { env["TASKPROF_MEASURE"] = "1" }

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

    /// Reads, symbolizes and writes one profile per process stream found in `rawDir`.
    /// Returns the profiles written (the target's first). Deletes the streams once all are written.
    public func convert(rawDir: String, targetPid: Int32, exit: TargetExit) throws -> [(path: String, profile: Profile)] {
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: rawDir)) ?? []).filter { $0.hasSuffix(".raw") }.sorted()
        guard !files.isEmpty else { throw RecordError.noStream(rawDir) }
        // A process that exec'd has one stream per image (<pid>.raw, <pid>.1.raw, …): its last
        // image is the process's profile, the earlier ones are written beside it.
        // Only the headers are read to order them; each stream is then parsed on its own.
        let streams = try files.map { file -> (path: String, pid: Int32, start: UInt64) in
            let h = try RawRecording.readHeader(path: rawDir + "/" + file)
            return (rawDir + "/" + file, h.pid, h.startMonotonicNs)
        }
        let byPid = Dictionary(grouping: streams, by: \.pid).mapValues { $0.sorted { $0.start < $1.start } }
        var written: [(String, Profile)] = []
        for (pid, images) in byPid.sorted(by: { $0.key < $1.key }) {
            let isTarget = pid == targetPid
            let mainPath = isTarget ? options.output : Self.childPath(options.output, pid: pid)
            for (index, stream) in images.enumerated() {
                let raw = try RawRecording.read(path: stream.path)
                let isLast = index == images.count - 1
                let path = isLast ? mainPath : Self.imagePath(options.output, pid: pid, image: index)
                let profile = build(raw, isTarget: isTarget, isLast: isLast, exit: exit,
                                    earlier: isLast ? (0..<index).map { Self.imagePath(options.output, pid: pid, image: $0) } : [])
                try ProfileFile.write(profile, to: path)
                written.append((path, profile))
            }
        }
        written.sort { a, _ in a.0 == options.output }
        try? FileManager.default.removeItem(atPath: rawDir)
        return written
    }

    /// One image's profile. Only the target's last image gets the exit status and CPU time.
    private func build(_ raw: RawRecording, isTarget: Bool, isLast: Bool, exit: TargetExit, earlier: [String]) -> Profile {
        var meta = ProfileMeta(command: options.command)
        meta.host = ProcessInfo.processInfo.hostName
        if let exec = raw.execPath, !isLast {
            meta.exitDescription = "process \(raw.pid) exec'd \(exec)"
        } else if isTarget {
            meta.exitDescription = exit.description
            meta.targetCPUTimeNs = exit.cpuTimeNs
        } else {
            meta.exitDescription = "child process \(raw.pid)"
        }
        if !earlier.isEmpty {
            meta.notes.append("this process exec'd into the program profiled here; what ran before is in " + earlier.joined(separator: ", "))
        }
        if !raw.complete {
            meta.notes.append("the target ended without the agent's final flush (crash, signal or _exit): the last few milliseconds of samples may be missing")
        }
        let symbolizer = DwarfSymbolizerFactory.make(raw.modules)
        var builder = ProfileBuilder(longPollThresholdNs: UInt64(options.longPollMs * 1_000_000), progress: { done, total in
            if total > 20_000 && done % 20_000 == 0 { log("symbolizing: \(done)/\(total) stacks") }
        })
        builder.blockingThresholdNs = UInt64(options.blockingMs * 1_000_000)
        return builder.build(raw: raw, symbolizer: symbolizer, meta: meta)
    }

    /// An earlier image of a process that exec'd: `<base>.<pid>-<image>.<ext>`.
    static func imagePath(_ output: String, pid: Int32, image: Int) -> String {
        let ext = (output as NSString).pathExtension
        let base = ext.isEmpty ? output : String(output.dropLast(ext.count + 1))
        return "\(base).\(pid)-\(image)" + (ext.isEmpty ? "" : ".\(ext)")
    }

    static func childPath(_ output: String, pid: Int32) -> String {
        let ext = (output as NSString).pathExtension
        let base = ext.isEmpty ? output : String(output.dropLast(ext.count + 1))
        return "\(base).\(pid)" + (ext.isEmpty ? "" : ".\(ext)")
    }
}

/// Calls `body` with a NULL-terminated C array of the strings, valid only during the call.
func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    var cstrings: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    cstrings.append(nil)
    defer { cstrings.forEach { free($0) } }
    return cstrings.withUnsafeBufferPointer { body($0.baseAddress!) }
}
