import Foundation

/// Checks, before anything runs, that a command can be profiled: it exists, is executable, and is
/// a dynamically linked x86-64 ELF program (LD_PRELOAD only reaches those).
public enum TargetValidator {
    public enum Problem: Error, CustomStringConvertible, Equatable {
        case notFound(String)
        case notExecutable(String)
        case notELF(String, script: Bool)
        case wrongArchitecture(String)
        case staticallyLinked(String)

        public var description: String {
            switch self {
            case .notFound(let c):
                return "command not found: \(c) (looked in PATH); give a path such as .build/release/\(c)"
            case .notExecutable(let p):
                return "\(p) is not executable (check its permissions, or that it is not a directory)"
            case .notELF(let p, let script):
                return script
                    ? "\(p) is a script, not a program: taskprof profiles the program it starts with LD_PRELOAD; run the Swift executable directly"
                    : "\(p) is not an ELF program; taskprof profiles Linux executables such as .build/release/MyBench"
            case .wrongArchitecture(let p):
                return "\(p) is not an x86-64 program; taskprof supports Linux x86-64 only"
            case .staticallyLinked(let p):
                return
                    "\(p) is statically linked: the agent is injected with LD_PRELOAD, which needs a dynamically linked program (build without -static-executable / --static-swift-stdlib)"
            }
        }
    }

    /// Resolves `command` like execvp does and validates the file. Returns the absolute path.
    public static func resolve(_ command: String, path: String? = ProcessInfo.processInfo.environment["PATH"]) throws -> String {
        let candidate: String
        if command.contains("/") {
            candidate = command
            guard FileManager.default.fileExists(atPath: candidate) else { throw Problem.notFound(command) }
        } else {
            let dirs = (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":").map(String.init)
            guard
                let found = dirs.map({ ($0.isEmpty ? "." : $0) + "/" + command })
                    .first(where: { FileManager.default.isExecutableFile(atPath: $0) })
            else {
                throw Problem.notFound(command)
            }
            candidate = found
        }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: candidate, isDirectory: &isDir), !isDir.boolValue,
            access(candidate, X_OK) == 0
        else { throw Problem.notExecutable(candidate) }
        try checkELF(candidate)
        return candidate.hasPrefix("/") ? candidate : FileManager.default.currentDirectoryPath + "/" + candidate
    }

    static func checkELF(_ path: String) throws {
        guard let h = FileHandle(forReadingAtPath: path) else { throw Problem.notExecutable(path) }
        defer { try? h.close() }
        let head = [UInt8](h.readData(ofLength: 64))
        if head.starts(with: Array("#!".utf8)) { throw Problem.notELF(path, script: true) }
        guard head.count == 64, head.starts(with: [0x7f, 0x45, 0x4c, 0x46]) else { throw Problem.notELF(path, script: false) }
        func u16(_ o: Int) -> UInt16 { UInt16(head[o]) | UInt16(head[o + 1]) << 8 }
        func u64(_ o: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(head[o + $1]) << (8 * UInt64($1)) } }
        guard head[4] == 2, head[5] == 1, u16(18) == 62 else { throw Problem.wrongArchitecture(path) }
        let phoff = u64(32), phentsize = UInt64(u16(54)), phnum = UInt64(u16(56))
        guard phentsize >= 56, phnum > 0, phnum < 4096 else { throw Problem.notELF(path, script: false) }
        try h.seek(toOffset: phoff)
        let ph = [UInt8](h.readData(ofLength: Int(phentsize * phnum)))
        guard ph.count == Int(phentsize * phnum) else { throw Problem.notELF(path, script: false) }
        let hasInterp = (0..<Int(phnum)).contains { i in
            let o = i * Int(phentsize)
            return (UInt32(ph[o]) | UInt32(ph[o + 1]) << 8 | UInt32(ph[o + 2]) << 16 | UInt32(ph[o + 3]) << 24) == 3  // PT_INTERP
        }
        guard hasInterp else { throw Problem.staticallyLinked(path) }
    }
}
