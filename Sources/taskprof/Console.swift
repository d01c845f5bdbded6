import ArgumentParser
import Foundation

enum Console {
    static func error(_ s: String) {
        FileHandle.standardError.write((s.hasSuffix("\n") ? s : s + "\n").data(using: .utf8)!)
    }

    static var stdoutIsTerminal: Bool { isatty(1) != 0 }
    static var stderrIsTerminal: Bool { isatty(2) != 0 }
}

/// A failure the user can act on: printed as `taskprof: <message>`, exit status 2.
struct CLIError: Error, CustomStringConvertible {
    var message: String
    init(_ error: Error) { message = "\(error)" }
    init(message: String) { self.message = message }
    var description: String { message }
}

extension CLIError: LocalizedError {
    var errorDescription: String? { message }
}
