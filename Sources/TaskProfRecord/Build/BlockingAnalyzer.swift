import TaskProfModel

/// Groups blocking calls by primitive and calling site — the first frame, from the leaf, that
/// is the program's own code rather than libc, the Swift runtime, Dispatch or Foundation.
struct BlockingAnalyzer {
    let thresholdNs: UInt64

    static let primitiveNames: [UInt16: String] = [
        1: "sleep", 2: "usleep", 3: "nanosleep", 4: "clock_nanosleep", 5: "read", 6: "write", 7: "recv", 8: "send",
        9: "accept", 10: "connect", 11: "poll", 12: "select", 13: "epoll_wait", 14: "pthread_mutex_lock",
        15: "pthread_rwlock_rdlock", 16: "pthread_rwlock_wrlock", 17: "pthread_cond_wait", 18: "pthread_cond_timedwait",
        19: "sem_wait", 20: "sem_timedwait", 21: "futex wait", 22: "fsync", 23: "fdatasync", 24: "waitpid",
        25: "getaddrinfo", 26: "flock",
    ]

    /// Modules whose frames are never the calling site.
    static let systemModulePrefixes = [
        "libc.so", "libm.so", "libpthread", "ld-linux", "libswift", "libdispatch", "libFoundation", "lib_Foundation",
        "libBlocksRuntime", "libstdc++", "libgcc", "linux-vdso", "libunwind", "libTaskProfAgent",
    ]

    static func advice(for primitive: String) -> String {
        switch primitive {
        case "sleep", "usleep", "nanosleep", "clock_nanosleep":
            return "use `try await Task.sleep(for:)`, which suspends the task instead of blocking a pool thread"
        case "pthread_mutex_lock", "pthread_rwlock_rdlock", "pthread_rwlock_wrlock", "futex wait", "sem_wait", "sem_timedwait",
            "pthread_cond_wait", "pthread_cond_timedwait":
            return "a contended lock or wait blocks a pool thread: hold locks only around brief work, or use an actor or an async-aware primitive"
        case "waitpid":
            return "waiting for a process blocks a pool thread: use an async process API or a dedicated thread"
        case "getaddrinfo":
            return "DNS resolution blocks: resolve on a dedicated thread or NIOThreadPool"
        default:
            return "synchronous I/O blocks a pool thread: use async I/O (SwiftNIO, NIOFileSystem) or a dedicated thread / NIOThreadPool"
        }
    }

    /// The sites, and their calls by address stack (`AddressStacks.blocking`). `callStacks` are
    /// each call's symbolized and address stacks, in `raw.blockingCalls`' order.
    func summarize(
        raw: RawRecording, callStacks: [(stack: Int32, located: Int32)], frames allFrames: [SymbolizedFrame], stacks allStacks: [[Int32]]
    ) -> (BlockingSummary, [AddressStacks.Blocking]) {
        struct Key: Hashable { var primitive: String; var function: String; var file: String?; var line: Int? }
        struct Acc {
            var count: UInt64 = 0, total: UInt64 = 0, max: UInt64 = 0
            var tasks = Set<UInt64>(), threads = Set<Int32>()
            var stacks: [Int32: (count: UInt32, total: UInt64)] = [:]
            var located: [Int32: (count: UInt32, total: UInt64)] = [:]
        }
        var groups: [Key: Acc] = [:]
        for (call, interned) in zip(raw.blockingCalls, callStacks) {
            let stack = interned.stack
            let primitive = Self.primitiveNames[call.primitive] ?? "primitive \(call.primitive)"
            // Compiler-generated thunks (Glibc overlay wrappers, reabstraction) are not a site either.
            let site = allStacks[Int(stack)].reversed().map { allFrames[Int($0)] }.first { f in
                !Self.systemModulePrefixes.contains { f.module.hasPrefix($0) } && f.file != "<compiler-generated>"
            }
            let key = Key(primitive: primitive, function: site?.shortName ?? "(unknown caller)", file: site?.file, line: site?.line)
            var acc = groups[key] ?? Acc()
            acc.count += 1
            acc.total = acc.total.addingSaturated(call.durationNs)
            acc.max = max(acc.max, call.durationNs)
            if call.taskID != 0 { acc.tasks.insert(call.taskID) }
            acc.threads.insert(call.tid)
            let prev = acc.stacks[stack] ?? (0, 0)
            acc.stacks[stack] = (prev.count + 1, prev.total.addingSaturated(call.durationNs))
            let at = acc.located[interned.located] ?? (0, 0)
            acc.located[interned.located] = (at.count + 1, at.total.addingSaturated(call.durationNs))
            groups[key] = acc
        }
        let sorted = groups.sorted { a, b in
            (a.value.total, b.key.function, b.key.primitive) > (b.value.total, a.key.function, a.key.primitive)
        }
        let sites = sorted.map { key, acc in
            BlockingSite(
                primitive: key.primitive, function: key.function, file: key.file, line: key.line,
                count: acc.count, totalNs: acc.total, maxNs: acc.max, taskIDs: acc.tasks.sorted(),
                threads: acc.threads.sorted(),
                stacks: acc.stacks.map { StackWeight(stack: $0.key, count: $0.value.count, totalNs: $0.value.total) }
                    .sorted { ($0.totalNs, $1.stack) > ($1.totalNs, $0.stack) },
                advice: Self.advice(for: key.primitive))
        }
        let located = sorted.enumerated().flatMap { i, group in
            group.value.located.sorted { $0.key < $1.key }.map {
                AddressStacks.Blocking(site: Int32(i), stack: $0.key, count: $0.value.count, totalNs: $0.value.total)
            }
        }
        return (BlockingSummary(thresholdNs: thresholdNs, sites: sites), located)
    }
}
