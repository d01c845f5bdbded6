import Foundation

/// Runs the release-built `taskprof` and examples. `make test` sets TASKPROF_BUILD_DIR to
/// `.build/release` after `swift build -c release`; without it the tests fail with a message
/// saying so (they never skip).
public enum TestSupport {
    public static var buildDir: String {
        get throws {
            if let dir = ProcessInfo.processInfo.environment["TASKPROF_BUILD_DIR"], !dir.isEmpty { return dir }
            let guess = packageRoot + "/.build/release"
            if FileManager.default.isExecutableFile(atPath: guess + "/taskprof") { return guess }
            throw TestFailure("release binaries not found: run `make test` (or `swift build -c release` and set TASKPROF_BUILD_DIR)")
        }
    }

    public static var packageRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    public static func binary(_ name: String) throws -> String { try buildDir + "/" + name }

    public static func tempDir() throws -> String {
        let dir = NSTemporaryDirectory() + "taskprof-test-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    public struct Result {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs a command to completion; `stdin` is written then closed. A command still running after
    /// `timeout` seconds is killed with its children and the test fails: a hang must turn CI red,
    /// not stall it.
    @discardableResult
    public static func run(
        _ args: [String], stdin: String? = nil, environment: [String: String]? = nil,
        timeout: TimeInterval = 600, onStart: ((Process) -> Void)? = nil
    ) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: args[0])
        p.arguments = Array(args.dropFirst())
        if let environment { p.environment = environment }
        // Output goes to files, not pipes: nothing can block on a full pipe while we wait.
        let dir = try tempDir()
        _ = FileManager.default.createFile(atPath: dir + "/out", contents: nil)
        _ = FileManager.default.createFile(atPath: dir + "/err", contents: nil)
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/out"))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/err"))
        let inp = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = inp
        let exited = DispatchSemaphore(value: 0)
        p.terminationHandler = { _ in exited.signal() }
        try p.run()
        onStart?(p)
        if let stdin { inp.fileHandleForWriting.write(stdin.data(using: .utf8)!) }
        try? inp.fileHandleForWriting.close()
        if exited.wait(timeout: .now() + timeout) == .timedOut {
            killTree(p.processIdentifier)
            exited.wait()
            throw TestFailure("\(args.joined(separator: " ")) still ran after \(Int(timeout)) s; killed")
        }
        p.waitUntilExit()
        try? out.close()
        try? err.close()
        let outData = FileManager.default.contents(atPath: dir + "/out") ?? Data()
        let errData = FileManager.default.contents(atPath: dir + "/err") ?? Data()
        try? FileManager.default.removeItem(atPath: dir)
        let status = p.terminationReason == .uncaughtSignal ? 128 + p.terminationStatus : p.terminationStatus
        return Result(status: status, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }

    /// SIGKILLs a process and its descendants (children first found through /proc, so none is
    /// orphaned before it is seen).
    static func killTree(_ pid: Int32) {
        var children: [Int32] = []
        if let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") {
            for tid in tasks {
                let text = (try? String(contentsOfFile: "/proc/\(pid)/task/\(tid)/children", encoding: .utf8)) ?? ""
                children += text.split(separator: " ").compactMap { Int32($0) }
            }
        }
        kill(pid, SIGSTOP)
        for child in children { killTree(child) }
        kill(pid, SIGKILL)
    }

    /// A speedscope file checked against Tests/schemas/speedscope.schema.json by Python's
    /// jsonschema: "valid", or its message.
    public static func validateSpeedscope(_ file: String) throws -> String {
        let schema = TestSupport.packageRoot + "/Tests/schemas/speedscope.schema.json"
        let script = """
            import json, sys
            try:
                import jsonschema
            except ImportError:
                sys.exit("python3-jsonschema is missing: `make test` installs it (Scripts/install-deps.sh test)")
            try:
                jsonschema.Draft6Validator(json.load(open(sys.argv[1]))).validate(json.load(open(sys.argv[2])))
                print("valid")
            except jsonschema.ValidationError as e:
                print(e.message)
            """
        let r = try TestSupport.run(["/usr/bin/python3", "-c", script, schema, file])
        guard r.status == 0 else { throw TestFailure(r.stderr) }
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Parses folded stacks into (frames, count).
    public static func parseFolded(_ text: String) throws -> [(frames: [String], count: Int)] {
        try text.split(separator: "\n").map { line in
            guard let space = line.lastIndex(of: " "), let n = Int(line[line.index(after: space)...]) else {
                throw TestFailure("malformed folded line: \(line)")
            }
            return (line[..<space].split(separator: ";", omittingEmptySubsequences: false).map(String.init), n)
        }
    }
}

public struct TestFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}
