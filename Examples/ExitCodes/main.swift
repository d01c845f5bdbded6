// A target for checking that taskprof passes everything through unchanged:
//   ExitCodes exit N     burn a little CPU, then exit with status N
//   ExitCodes echo       copy stdin to stdout, a line to stderr
//   ExitCodes crash      burn CPU, then fatalError (SIGILL/SIGTRAP)
//   ExitCodes wait       burn CPU until SIGTERM/SIGINT arrives, then exit 3
//   ExitCodes args ...   print each argument on its own line
import Foundation

@inline(never)
func spin(milliseconds: Int) -> UInt64 {
    let end = Date().addingTimeInterval(Double(milliseconds) / 1000)
    var x: UInt64 = 7
    while Date() < end {
        for _ in 0..<10_000 { x = x &* 6364136223846793005 &+ 1442695040888963407 }
    }
    return x
}

let args = Array(CommandLine.arguments.dropFirst())
switch args.first {
case "exit":
    _ = spin(milliseconds: 100)
    exit(Int32(args.dropFirst().first ?? "0") ?? 0)
case "echo":
    while let line = readLine(strippingNewline: false) { FileHandle.standardOutput.write(line.data(using: .utf8)!) }
    FileHandle.standardError.write("stderr line\n".data(using: .utf8)!)
case "crash":
    let v = spin(milliseconds: 200)
    fatalError("deliberate crash \(v % 10)")
case "wait":
    signal(SIGTERM) { _ in exit(3) }
    signal(SIGINT) { _ in exit(3) }
    FileHandle.standardOutput.write("ready\n".data(using: .utf8)!)
    while true { _ = spin(milliseconds: 50) }
case "args":
    for a in args.dropFirst() { print(a) }
default:
    FileHandle.standardError.write("usage: ExitCodes exit N | echo | crash | wait | args ...\n".data(using: .utf8)!)
    exit(64)
}
