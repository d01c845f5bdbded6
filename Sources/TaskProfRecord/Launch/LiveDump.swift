import Foundation
import TaskProfModel
import TaskProfSymbolize

/// `taskprof dump PID`: asks the agent inside a program running under `taskprof record` for a
/// dump of its live tasks, without stopping it.
///
/// How it reaches the agent: the program's environment (/proc/PID/environ) names the directory of
/// its raw stream (TASKPROF_RAW_DIR). This writes `<dir>/<pid>.dump-request` holding a request
/// number; the agent's writer thread looks for that file every 100 ms, appends a dump of the live
/// tasks to the stream, flushes it and answers with `<dir>/<pid>.dump-done` holding the same
/// number. The dump is then read back from the stream, symbolized like any recording. No signal,
/// no ptrace, nothing the program itself sees.
public struct LiveDump {
    public enum Failure: Error, CustomStringConvertible {
        case noProcess(Int32)
        case notReadable(Int32, String)
        case notRecorded(Int32)
        case noStream(Int32, String)
        case cannotRequest(String, String)
        case noAnswer(Int32, Double)
        case dumpMissing(String)

        public var description: String {
            switch self {
            case .noProcess(let pid): return "no process \(pid)"
            case .notReadable(let pid, let why):
                return "cannot read the environment of process \(pid) (\(why)): dump a process of your own user"
            case .notRecorded(let pid):
                return "process \(pid) is not running under `taskprof record` (no TASKPROF_RAW_DIR in its environment)"
            case .noStream(let pid, let dir): return "process \(pid) has no raw stream in \(dir): is it a process `--process` left out?"
            case .cannotRequest(let path, let why): return "cannot write the request \(path): \(why)"
            case .noAnswer(let pid, let s):
                return "process \(pid) did not answer within \(s) s: its agent may be off (a program without Swift Concurrency?) or it is stopped"
            case .dumpMissing(let path): return "the agent answered, but \(path) holds no dump with the request's number"
            }
        }
    }

    public private(set) var pid: Int32
    public var timeoutSeconds: Double = 5

    public init(pid: Int32) { self.pid = pid }

    /// The pid given may be `taskprof record`'s own (what `pgrep -f` finds first): then the one
    /// child it runs under the agent is meant. Returns the pid to dump.
    public mutating func resolve() throws -> Int32 {
        do {
            _ = try rawDirectory()
        } catch Failure.notRecorded(let p) {
            let children = (try? String(contentsOfFile: "/proc/\(p)/task/\(p)/children", encoding: .utf8)) ?? ""
            let recorded = children.split(separator: " ").compactMap { Int32($0) }.filter { child in
                (try? LiveDump(pid: child).rawDirectory()) != nil
            }
            guard recorded.count == 1 else { throw Failure.notRecorded(p) }
            pid = recorded[0]
        }
        return pid
    }

    /// The stream directory, from the process's environment.
    func rawDirectory() throws -> String {
        guard kill(pid, 0) == 0 || errno == EPERM else { throw Failure.noProcess(pid) }
        let path = "/proc/\(pid)/environ"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Failure.notReadable(pid, errno == 0 ? "unreadable" : String(cString: strerror(errno)))
        }
        for entry in data.split(separator: 0) {
            let s = String(decoding: entry, as: UTF8.self)
            if s.hasPrefix("TASKPROF_RAW_DIR=") { return String(s.dropFirst("TASKPROF_RAW_DIR=".count)) }
        }
        throw Failure.notRecorded(pid)
    }

    /// The stream of the process's current image: <pid>.raw, or <pid>.N.raw after an exec.
    func streamPath(in dir: String) throws -> String {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        let mine = files.filter { $0 == "\(pid).raw" || ($0.hasPrefix("\(pid).") && $0.hasSuffix(".raw")) }
        let image = { (f: String) -> Int in Int(f.dropFirst("\(pid).".count).dropLast(4)) ?? 0 }
        guard let latest = mine.max(by: { image($0) < image($1) }) else { throw Failure.noStream(pid, dir) }
        return dir + "/" + latest
    }

    /// Requests a dump, waits for it, and returns the stream with only that dump in it (and no
    /// samples: they are not what a dump is for, and symbolizing them would take time).
    public mutating func take() throws -> RawRecording {
        _ = try resolve()
        let dir = try rawDirectory()
        let stream = try streamPath(in: dir)
        let number = UInt32.random(in: 1...999_999_999)
        let request = "\(dir)/\(pid).dump-request", done = "\(dir)/\(pid).dump-done"
        try? FileManager.default.removeItem(atPath: done)
        let tmp = request + ".\(getpid())"
        do {
            try "\(number)\n".write(toFile: tmp, atomically: false, encoding: .utf8)
            guard rename(tmp, request) == 0 else { throw Failure.cannotRequest(request, String(cString: strerror(errno))) }
        } catch let f as Failure {
            throw f
        } catch {
            throw Failure.cannotRequest(request, "\(error)")
        }
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while Date() < deadline {
            if let answer = try? String(contentsOfFile: done, encoding: .utf8),
                UInt32(answer.trimmingCharacters(in: .whitespacesAndNewlines)) == number
            {
                try? FileManager.default.removeItem(atPath: done)
                var raw = try RawRecording.read(path: stream)
                guard let dump = raw.taskDumps.last(where: { $0.reason == 2 && $0.sequence == number }) else {
                    throw Failure.dumpMissing(stream)
                }
                raw.taskDumps = [dump]
                raw.samples = []
                raw.blockingCalls = []
                return raw
            }
            usleep(20_000)
        }
        try? FileManager.default.removeItem(atPath: request)
        throw Failure.noAnswer(pid, timeoutSeconds)
    }

    /// The dump as a profile (its one dump symbolized), for the reports.
    public func profile(of raw: RawRecording, stuckNs: UInt64) -> Profile {
        var meta = ProfileMeta(command: raw.commandLine.isEmpty ? [raw.executable] : raw.commandLine)
        meta.host = ProcessInfo.processInfo.hostName
        meta.exitDescription = "running"
        var builder = ProfileBuilder()
        builder.stuckThresholdNs = stuckNs
        return builder.build(raw: raw, symbolizer: DwarfSymbolizerFactory.make(raw.modules), meta: meta)
    }
}
