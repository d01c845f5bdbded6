import Foundation
import Glibc

/// `--process`: a pattern of letters, digits and `._-+` only names an executable (its file name,
/// or argv[0]'s); any other is a POSIX extended regular expression searched in the command line,
/// its arguments joined by spaces. `record` passes patterns to the agent, which matches them
/// with the same rules and the same regcomp (tp_process.c), and checks them here first, so a bad
/// pattern is an error before the program runs; `report` and `diff` match recorded processes here.
public enum ProcessPattern {
    public static func isExecutableName(_ pattern: String) -> Bool {
        pattern.unicodeScalars.allSatisfy { ($0.isASCII && CharacterSet.alphanumerics.contains($0)) || "._-+".unicodeScalars.contains($0) }
    }

    /// Why the patterns together cannot be passed on (the agent keeps 4 KB of settings each).
    public static func problem(all patterns: [String]) -> String? {
        patterns.joined(separator: "\n").utf8.count > 4000 ? "the --process patterns together are longer than 4000 bytes" : nil
    }

    /// Why the pattern cannot be used, or nil.
    public static func problem(_ pattern: String) -> String? {
        if pattern.isEmpty { return "give an executable name or a regular expression" }
        if pattern.contains("\n") { return "a pattern cannot contain a newline" }
        if pattern.utf8.count >= 1000 { return "longer than 1000 bytes" }
        if isExecutableName(pattern) { return nil }
        var re = regex_t()
        let rc = regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB)
        defer { if rc == 0 { regfree(&re) } }
        guard rc != 0 else { return nil }
        var buf = [CChar](repeating: 0, count: 256)
        regerror(rc, &re, &buf, buf.count)
        let message = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return "not a valid POSIX extended regular expression (\(message))"
    }

    /// Whether a recorded process matches the pattern (an invalid expression matches nothing).
    public static func matches(_ pattern: String, _ process: ProfiledProcess) -> Bool {
        func fileName(_ path: String) -> Substring { path.split(separator: "/").last ?? Substring(path) }
        if isExecutableName(pattern) {
            return fileName(process.executable) == pattern || process.command.first.map(fileName) == Substring(pattern)
        }
        var re = regex_t()
        guard regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) == 0 else { return false }
        defer { regfree(&re) }
        return regexec(&re, process.command.joined(separator: " "), 0, nil, 0) == 0
    }
}
