// A target that does what profilers find hard, for the agent's robustness tests:
//   Churn threads N     start and join N short-lived threads, 8 at a time, each burning CPU
//   Churn fork          fork a child that burns CPU and exits 5, spawn /bin/echo, report both
//   Churn sigprof       use SIGPROF itself (setitimer ITIMER_PROF) while burning CPU for 1 s
//   Churn sleep         sleep 10 × 20 ms in a busy process and print how long it took
//   Churn sigtrap       trap SIGTRAP itself: raise it 50 times while burning CPU for 1 s, count them
//   Churn trap          burn CPU for 0.3 s, then raise SIGTRAP with its default action (dies of it;
//                       the Swift runtime's own crash handler would report it and carry on)
import Foundation

@inline(never)
func burn(_ n: Int, seed: UInt64 = UInt64(CommandLine.arguments.count)) -> UInt64 {
    var x: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ seed
    for _ in 0..<n { x ^= x << 13; x ^= x >> 7; x ^= x << 17 }
    return x
}

nonisolated(unsafe) var profTicks = 0
nonisolated(unsafe) var traps = 0

let args = Array(CommandLine.arguments.dropFirst())
switch args.first {
case "threads":
    let n = Int(args.dropFirst().first ?? "200") ?? 200
    var done = 0
    for _ in 0..<(n / 8) {
        let threads = (0..<8).map { _ in Thread { _ = burn(200_000) } }
        threads.forEach { $0.start() }
        while threads.contains(where: { !$0.isFinished }) { usleep(100) }
        done += 8
    }
    print("threads \(done)")
case "fork":
    let pid = fork()
    if pid == 0 {
        _ = burn(20_000_000)
        _exit(5)
    }
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/echo")
    p.arguments = ["from echo"]
    try! p.run()
    p.waitUntilExit()
    _ = burn(20_000_000)
    print("child exit \((status >> 8) & 0xff), echo exit \(p.terminationStatus)")
case "sigprof":
    signal(SIGPROF) { _ in profTicks += 1 }
    var timer = itimerval(it_interval: timeval(tv_sec: 0, tv_usec: 10_000), it_value: timeval(tv_sec: 0, tv_usec: 10_000))
    setitimer(Int32(ITIMER_PROF.rawValue), &timer, nil)
    let end = Date().addingTimeInterval(1)
    var x: UInt64 = 0
    while Date() < end { x &+= burn(100_000) }
    timer = itimerval()
    setitimer(Int32(ITIMER_PROF.rawValue), &timer, nil)
    print("ticks \(profTicks) \(x & 1)")
case "sleep":
    let start = Date()
    for _ in 0..<10 { usleep(20_000) }
    print(String(format: "slept %.0f ms", Date().timeIntervalSince(start) * 1000))
case "sigtrap":
    signal(SIGTRAP) { _ in traps += 1 }
    let end = Date().addingTimeInterval(1)
    var x: UInt64 = 0, raised = 0
    while Date() < end {
        x &+= burn(100_000)
        if raised < 50 { raise(SIGTRAP); raised += 1 }
    }
    print("traps \(traps) of \(raised) \(x & 1)")
case "trap":
    let end = Date().addingTimeInterval(0.3)
    var x: UInt64 = 0
    while Date() < end { x &+= burn(100_000) }
    FileHandle.standardOutput.write("trapping \(x & 1)\n".data(using: .utf8)!)
    signal(SIGTRAP, SIG_DFL)
    raise(SIGTRAP)
    print("survived SIGTRAP")
default:
    FileHandle.standardError.write("usage: Churn threads N | fork | sigprof | sleep | sigtrap | trap\n".data(using: .utf8)!)
    exit(64)
}
