import Foundation
import TaskProfAnalysis
import TaskProfModel

// The data block of the HTML report. The page's script decodes it; the format is private to
// the report (the template and this file change together), so it favours size over clarity:
//
//   v           format version (2)
//   meta        header facts: command, durations, engine, exit, notes, …
//   modules     module file names; funcs and frames refer to them by index
//   files       source file paths
//   funcs       [short, full ("" = same as short), module, file (-1 = none), line (0 = none)]
//               one per (full name, module): what flame graph boxes and the function table show
//   frames      [func, file, line, flags (1 = inlined, 2 = async)]: the profile's interned frames
//               (one function can have several, one per line), renumbered most-used first
//   stacks      arrays of frame indices, root first, front-coded: [p, f…] means "the first p
//               frames of the previous stack, then f…". Stacks are ordered by their function
//               path, so equal function prefixes are adjacent and the page can merge frames
//               into functions in one pass.
//   kinds       task kind labels (the closure that started a task, see TaskKinds)
//   tasks       [id (the process's own), name|null, jobs|null, kind (index into kinds, -1 = unknown),
//               process (index into processes)];
//               jobs = [polls, longPolls, pollMean, pollP50, pollP99,
//               pollMax, delayP50, delayP99, delayMax, busyNs] (nanoseconds)
//   threads     [tid, name, kind, jobsRun, label, process (index into processes)]
//   processes   a run of several processes: [pid, image, label, command, exit, startNs, lengthNs,
//               hottest function of its own|null]; empty for one process
//   samples     flat, four numbers per sample group: task index (-1 = no task), thread index,
//               stack index, samples
//   longPolls   [task index, thread index (-1 = unknown), tid, startNs, durationNs, [stack, samples, …]]
//   blocking    blocking-call sites: {call, task, thread, durationNs, advice, stacks: [stack, µs, …]}
//   runtime     Swift runtime job statistics, or null without job tracking
//   liveTasks   the tasks alive at the end, or null without a dump: {thresholdNs, notes: [..],
//               tasks: [{id, label, kind, parent (index into tasks, -1 = none or not alive),
//               state, forNs|null, reason, stuck, stack: [[function, where], …] innermost first,
//               created: [function, where]|null}], findings: [{kind, title, detail, advice,
//               tasks: [index into tasks, …]}]}
extension HTMLReport {
    /// Writes the data block's JSON. Every string is escaped so that it cannot end the
    /// `<script>` element it sits in: `<`, `>`, `&` and `/` become escapes.
    func writeData(to sink: OutputSink) {
        let w = JSONBytes(sink: sink)
        let p = profile
        let m = p.meta

        // Tasks: the profile's, plus any task id that samples or long polls mention but the
        // task list lacks, so every index resolves.
        var tasks = p.tasks
        var taskIndex: [UInt64: Int] = [:]
        for (i, t) in tasks.enumerated() where taskIndex[t.id] == nil { taskIndex[t.id] = i }
        func taskIdx(_ id: UInt64) -> Int {
            if id == 0 { return -1 }
            if let i = taskIndex[id] { return i }
            tasks.append(TaskInfo(id: id, name: nil))
            taskIndex[id] = tasks.count - 1
            return tasks.count - 1
        }
        let sampleTasks = p.samples.map { taskIdx($0.taskID) }
        let pollTasks = (p.jobs?.longPolls ?? []).map { taskIdx($0.taskID) }
        let blockingTasks = (p.blocking?.sites ?? []).map { $0.taskIDs.first.map(taskIdx) ?? -1 }
        // Long polls and blocking sites name a thread by its tid, which only its process makes unique.
        var threadByTid: [Int64: Int] = [:]
        func key(_ process: Int32, _ tid: Int32) -> Int64 { Int64(process) << 32 | Int64(UInt32(bitPattern: tid)) }
        for (i, t) in p.threads.enumerated() where threadByTid[key(t.process, t.tid)] == nil { threadByTid[key(t.process, t.tid)] = i }

        // Stacks that something refers to, in the order the page wants them.
        var usedStack = [Bool](repeating: false, count: p.stacks.count)
        for s in p.samples where p.stacks.indices.contains(Int(s.stack)) { usedStack[Int(s.stack)] = true }
        for l in p.jobs?.longPolls ?? [] {
            for s in l.stacks where p.stacks.indices.contains(Int(s.stack)) { usedStack[Int(s.stack)] = true }
        }
        for b in p.blocking?.sites ?? [] {
            for s in b.stacks where p.stacks.indices.contains(Int(s.stack)) { usedStack[Int(s.stack)] = true }
        }

        // Functions: one per (full name, module).
        struct FuncKey: Hashable { var name: String; var module: String }
        var funcOf = [Int32](repeating: 0, count: p.frames.count)
        var funcKeys: [FuncKey] = []
        var funcIndex: [FuncKey: Int32] = [:]
        var funcRep: [Int] = []  // the frame that gives the function's file and line
        for (i, f) in p.frames.enumerated() {
            let key = FuncKey(name: f.function, module: f.module)
            if let j = funcIndex[key] {
                funcOf[i] = j
                if p.frames[funcRep[Int(j)]].file == nil && f.file != nil { funcRep[Int(j)] = i }
            } else {
                let j = Int32(funcKeys.count)
                funcIndex[key] = j
                funcKeys.append(key)
                funcRep.append(i)
                funcOf[i] = j
            }
        }

        // Renumber frames most-used first (small numbers for the common frames keep the
        // stacks short), dropping frames no used stack refers to.
        var frameUse = [Int](repeating: 0, count: p.frames.count)
        for (i, st) in p.stacks.enumerated() where usedStack[i] {
            for f in st where p.frames.indices.contains(Int(f)) { frameUse[Int(f)] += 1 }
        }
        let frameOrder = p.frames.indices.filter { frameUse[$0] > 0 }.sorted { (frameUse[$0], $1) > (frameUse[$1], $0) }
        var newFrame = [Int32](repeating: -1, count: p.frames.count)
        for (n, old) in frameOrder.enumerated() { newFrame[old] = Int32(n) }

        // Order stacks by function path, then by frame path; emit them front-coded.
        let cleanStacks: [[Int32]] = p.stacks.enumerated().map { i, st in
            usedStack[i] ? st.filter { p.frames.indices.contains(Int($0)) } : []
        }
        let renumbered: [[Int32]] = cleanStacks.map { $0.map { newFrame[Int($0)] } }
        let funcPaths: [[Int32]] = cleanStacks.map { $0.map { funcOf[Int($0)] } }
        let stackOrder: [Int] = p.stacks.indices.filter { usedStack[$0] }.sorted { a, b in
            if funcPaths[a] != funcPaths[b] { return funcPaths[a].lexicographicallyPrecedes(funcPaths[b]) }
            return renumbered[a].lexicographicallyPrecedes(renumbered[b])
        }
        var newStack = [Int32](repeating: -1, count: p.stacks.count)
        for (n, old) in stackOrder.enumerated() { newStack[old] = Int32(n) }

        // Modules and files, interned.
        var modules: [String] = []
        var moduleIndex: [String: Int] = [:]
        func moduleIdx(_ s: String) -> Int {
            if let i = moduleIndex[s] { return i }
            modules.append(s)
            moduleIndex[s] = modules.count - 1
            return modules.count - 1
        }
        var files: [String] = []
        var fileIndex: [String: Int] = [:]
        func fileIdx(_ s: String?) -> Int {
            guard let s else { return -1 }
            if let i = fileIndex[s] { return i }
            files.append(s)
            fileIndex[s] = files.count - 1
            return files.count - 1
        }
        let funcRows: [(short: String, full: String, module: Int, file: Int, line: Int)] = funcKeys.indices.map { j in
            let f = p.frames[funcRep[j]]
            return (f.shortName, f.function == f.shortName ? "" : f.function, moduleIdx(f.module), fileIdx(f.file), f.line ?? 0)
        }
        let frameRows: [(fn: Int32, file: Int, line: Int, flags: Int)] = frameOrder.map { old in
            let f = p.frames[old]
            return (funcOf[old], fileIdx(f.file), f.line ?? 0, (f.inlined ? 1 : 0) | (f.isAsync ? 2 : 0))
        }

        w.raw("{\"v\":2,\"meta\":{")
        w.key("command"); w.array(m.command) { w.string($0) }
        w.raw(","); w.key("startTime")
        let iso = ISO8601DateFormatter()
        w.string(m.startTimeNs == 0 ? "" : iso.string(from: Date(timeIntervalSince1970: Double(m.startTimeNs) / 1e9)))
        w.raw(","); w.key("durationNs"); w.int(m.durationNs)
        w.raw(","); w.key("host"); w.string(m.host)
        w.raw(","); w.key("pid"); w.int(Int(m.pid))
        w.raw(","); w.key("engine"); w.string(m.engine)
        w.raw(","); w.key("engineNote"); w.string(m.engineNote)
        w.raw(","); w.key("rateHz"); w.int(UInt64(m.rateHz))
        w.raw(","); w.key("exit"); w.string(m.exitDescription)
        w.raw(","); w.key("cpuTimeNs"); w.int(m.targetCPUTimeNs)
        w.raw(","); w.key("complete"); w.raw(m.complete ? "true" : "false")
        w.raw(","); w.key("jobTracking"); w.raw(m.jobTracking ? "true" : "false")
        w.raw(","); w.key("buildID"); w.string(m.mainBuildID)
        w.raw(","); w.key("notes"); w.array(m.notes) { w.string($0) }
        w.raw(","); w.key("samples"); w.int(p.sampleCount)
        w.raw(","); w.key("dropped"); w.int(p.droppedCount)
        w.raw(","); w.key("threadsSampled"); w.int(UInt64(Set(p.samples.map(\.thread)).count))
        w.raw(","); w.key("longPollThresholdNs"); w.int(p.jobs?.longPollThresholdNs ?? 0)
        w.raw("},\n")

        w.key("modules"); w.array(modules) { w.string($0) }
        w.raw(",\n"); w.key("files"); w.array(files) { w.string($0) }
        w.raw(",\n"); w.key("funcs");
        w.array(funcRows) { r in
            w.raw("["); w.string(r.short); w.raw(","); w.string(r.full); w.raw(",")
            w.int(r.module); w.raw(","); w.int(r.file); w.raw(","); w.int(r.line); w.raw("]")
        }
        w.raw(",\n"); w.key("frames");
        w.array(frameRows) { r in
            w.raw("["); w.int(Int(r.fn)); w.raw(","); w.int(r.file); w.raw(","); w.int(r.line); w.raw(","); w.int(r.flags); w.raw("]")
        }
        w.raw(",\n"); w.key("stacks"); w.raw("[")
        var previous: [Int32] = []
        for (n, old) in stackOrder.enumerated() {
            let st = renumbered[old]
            var shared = 0
            while shared < st.count && shared < previous.count && st[shared] == previous[shared] { shared += 1 }
            if n > 0 { w.raw(",") }
            w.raw("["); w.int(shared)
            for f in st[shared...] { w.raw(","); w.int(Int(f)) }
            w.raw("]")
            previous = st
        }
        w.raw("],\n")

        let jobsByTask = Dictionary((p.jobs?.tasks ?? []).map { ($0.taskID, $0) }, uniquingKeysWith: { a, _ in a })
        let kindOfTask = TaskKinds(p).labels
        let kinds = Array(Set(kindOfTask.values)).sorted()
        let kindIndex = Dictionary(uniqueKeysWithValues: kinds.enumerated().map { ($1, $0) })
        w.key("kinds"); w.array(kinds) { w.string($0) }
        w.raw(",\n")
        w.key("tasks");
        w.array(tasks) { t in
            w.raw("["); w.id(TaskInfo.localID(t.id)); w.raw(",")
            if let n = t.name { w.string(n) } else { w.raw("null") }
            w.raw(",")
            if let j = jobsByTask[t.id] {
                let values: [UInt64] = [
                    j.pollTime.count, j.longPolls, j.pollTime.meanNs, j.pollTime.p50Ns, j.pollTime.p99Ns,
                    j.pollTime.maxNs, j.schedulingDelay.p50Ns, j.schedulingDelay.p99Ns,
                    j.schedulingDelay.maxNs, j.busyNs,
                ]
                w.array(values) { w.int($0) }
            } else {
                w.raw("null")
            }
            w.raw(","); w.int(kindOfTask[t.id].flatMap { kindIndex[$0] } ?? -1)
            w.raw(","); w.int(TaskInfo.processIndex(t.id))
            w.raw("]")
        }
        w.raw(",\n"); w.key("threads");
        w.array(p.threads) { t in
            w.raw("["); w.int(Int(t.tid)); w.raw(","); w.string(t.name); w.raw(","); w.string(t.kind.rawValue)
            w.raw(","); w.int(t.jobsRun); w.raw(","); w.string(t.label); w.raw(","); w.int(Int(t.process)); w.raw("]")
        }
        // A run that followed children: [pid, image, label, command, exit, start ns, length ns,
        // hottest function of its own] per process (empty for one process).
        let hottest = p.processStats().map(\.hottestFunction)
        w.raw(",\n"); w.key("processes");
        w.array(p.processes.count > 1 ? Array(p.processes.indices) : []) { k in
            let pr = p.processes[k]
            w.raw("["); w.int(Int(pr.pid)); w.raw(","); w.int(pr.image); w.raw(","); w.string(pr.label); w.raw(",")
            w.string(pr.command.isEmpty ? pr.name : pr.command.joined(separator: " ")); w.raw(","); w.string(pr.exitDescription)
            w.raw(","); w.int(pr.startOffsetNs); w.raw(","); w.int(pr.durationNs); w.raw(",")
            if let h = hottest[k] { w.string(h) } else { w.raw("null") }
            w.raw("]")
        }
        w.raw(",\n"); w.key("samples"); w.raw("[")
        var first = true
        for (i, s) in p.samples.enumerated() {
            guard p.stacks.indices.contains(Int(s.stack)), s.count > 0 else { continue }
            if !first { w.raw(",") }
            first = false
            w.int(sampleTasks[i]); w.raw(","); w.int(Int(s.thread)); w.raw(",")
            w.int(Int(newStack[Int(s.stack)])); w.raw(","); w.int(UInt64(s.count))
        }
        w.raw("],\n")

        w.key("longPolls");
        w.array(Array((p.jobs?.longPolls ?? []).enumerated())) { i, l in
            w.raw("["); w.int(pollTasks[i]); w.raw(","); w.int(threadByTid[key(l.process, l.thread)] ?? -1); w.raw(",")
            w.int(Int(l.thread)); w.raw(","); w.int(l.startNs); w.raw(","); w.int(l.durationNs); w.raw(",[")
            var firstStack = true
            for s in l.stacks where p.stacks.indices.contains(Int(s.stack)) {
                if !firstStack { w.raw(",") }
                firstStack = false
                w.int(Int(newStack[Int(s.stack)])); w.raw(","); w.int(UInt64(s.count))
            }
            w.raw("]]")
        }
        // One entry per blocking site; its flame graph is off-CPU time: stacks weighted by the
        // microseconds they blocked.
        w.raw(",\n"); w.key("blocking");
        w.array(Array((p.blocking?.sites ?? []).enumerated())) { i, b in
            let loc = b.file.map { " (\(($0 as NSString).lastPathComponent):\(b.line ?? 0))" } ?? ""
            w.raw("{"); w.key("call"); w.string("\(b.primitive) in \(b.function)\(loc), \(b.count)×")
            w.raw(","); w.key("task"); w.int(blockingTasks[i])
            w.raw(","); w.key("thread"); w.int(b.threads.first.flatMap { threadByTid[key(b.process, $0)] } ?? -1)
            w.raw(","); w.key("durationNs"); w.int(b.totalNs)
            w.raw(","); w.key("advice"); w.string(b.advice)
            w.raw(","); w.key("stacks"); w.raw("[")
            var firstStack = true
            for s in b.stacks where p.stacks.indices.contains(Int(s.stack)) {
                if !firstStack { w.raw(",") }
                firstStack = false
                w.int(Int(newStack[Int(s.stack)])); w.raw(","); w.int(max(s.totalNs / 1000, 1))
            }
            w.raw("]}")
        }
        w.raw(",\n"); w.key("runtime")
        if let j = p.jobs {
            let r = j.runtime
            w.raw("{"); w.key("workerThreads"); w.int(UInt64(r.workerThreads))
            w.raw(","); w.key("jobs"); w.int(r.jobs)
            w.raw(","); w.key("jobsPerSecond"); w.double(r.jobsPerSecond)
            w.raw(","); w.key("busyFraction"); w.double(r.busyFraction)
            w.raw(","); w.key("delayP50Ns"); w.int(r.schedulingDelay.p50Ns)
            w.raw(","); w.key("delayP99Ns"); w.int(r.schedulingDelay.p99Ns)
            w.raw(","); w.key("delayMaxNs"); w.int(r.schedulingDelay.maxNs)
            w.raw(","); w.key("actorJobs"); w.int(r.actorQueueWait.count)
            w.raw(","); w.key("actorWaitP50Ns"); w.int(r.actorQueueWait.p50Ns)
            w.raw(","); w.key("actorWaitP99Ns"); w.int(r.actorQueueWait.p99Ns)
            w.raw(","); w.key("actorWaitMaxNs"); w.int(r.actorQueueWait.maxNs)
            w.raw("}")
        } else {
            w.raw("null")
        }
        w.raw(",\n"); w.key("liveTasks")
        writeLiveTasks(StuckTasks(p), to: w)
        w.raw("}")
        w.flush()
    }
}

extension HTMLReport {
    func writeLiveTasks(_ s: StuckTasks, to w: JSONBytes) {
        guard s.hasDump else {
            w.raw("null")
            return
        }
        let index = Dictionary(s.entries.enumerated().map { ($1.task.id, $0) }, uniquingKeysWith: { a, _ in a })
        let labels = Dictionary(s.entries.map { ($0.task.id, $0.label) }, uniquingKeysWith: { a, _ in a })
        func frame(_ f: SymbolizedFrame) {
            w.raw("["); w.string(f.shortName); w.raw(","); w.string(StuckTasks.location(f) ?? f.module); w.raw("]")
        }
        w.raw("{"); w.key("thresholdNs"); w.int(s.thresholdNs)
        w.raw(","); w.key("notes"); w.array(s.notes) { w.string($0) }
        w.raw(","); w.key("tasks")
        w.array(s.entries) { e in
            let t = e.task
            w.raw("{"); w.key("id"); w.int(TaskInfo.localID(t.id))
            w.raw(","); w.key("label"); w.string(e.label)
            w.raw(","); w.key("kind"); w.string(t.kind.rawValue)
            w.raw(","); w.key("parent"); w.int(t.parent.flatMap { index[$0] } ?? -1)
            w.raw(","); w.key("state"); w.string(t.state.rawValue)
            w.raw(","); w.key("forNs")
            if let ns = t.forNs { w.int(ns) } else { w.raw("null") }
            w.raw(","); w.key("reason"); w.string(e.waitingOn.reason(names: { labels[$0] ?? TaskInfo.unnamedLabel($0) }))
            w.raw(","); w.key("stuck"); w.raw(e.stuck ? "true" : "false")
            w.raw(","); w.key("stack"); w.array(e.awaitFrames, frame)
            w.raw(","); w.key("created")
            if let c = e.creationSite { frame(c) } else { w.raw("null") }
            w.raw("}")
        }
        w.raw(","); w.key("findings")
        w.array(s.findings) { f in
            w.raw("{"); w.key("kind"); w.string(f.kind.rawValue)
            w.raw(","); w.key("title"); w.string(f.title)
            w.raw(","); w.key("detail"); w.string(f.detail)
            w.raw(","); w.key("advice"); w.string(f.advice)
            w.raw(","); w.key("tasks"); w.array(f.tasks.compactMap { index[$0] }) { w.int($0) }
            w.raw("}")
        }
        w.raw("}")
    }
}

/// A small JSON writer into an `OutputSink`, with escaping that is safe inside an HTML
/// `<script>` element.
final class JSONBytes {
    let sink: OutputSink
    private var bytes: [UInt8] = []

    init(sink: OutputSink) {
        self.sink = sink
        bytes.reserveCapacity(1 << 17)
    }

    func flush() {
        guard !bytes.isEmpty else { return }
        sink.write(String(decoding: bytes, as: UTF8.self))
        bytes.removeAll(keepingCapacity: true)
    }

    private func maybeFlush() { if bytes.count >= 1 << 16 { flush() } }

    func raw(_ s: String) {
        bytes.append(contentsOf: s.utf8)
        maybeFlush()
    }

    func key(_ k: String) {
        string(k)
        bytes.append(UInt8(ascii: ":"))
    }

    func int(_ v: Int) {
        if v < 0 {
            bytes.append(UInt8(ascii: "-"))
            int(UInt64(v.magnitude))
        } else {
            int(UInt64(v))
        }
    }

    func int(_ v: UInt64) {
        if v < 10 {
            bytes.append(UInt8(ascii: "0") + UInt8(v))
        } else {
            var digits:
                (
                    UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                    UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8
                ) =
                    (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
            var n = 0
            var x = v
            withUnsafeMutableBytes(of: &digits) { buf in
                while x > 0 {
                    buf[n] = UInt8(ascii: "0") + UInt8(x % 10)
                    x /= 10
                    n += 1
                }
                for i in stride(from: n - 1, through: 0, by: -1) { bytes.append(buf[i]) }
            }
        }
        maybeFlush()
    }

    /// Ids above 2^53 do not survive a JavaScript number; write those as strings.
    func id(_ v: UInt64) {
        if v <= 1 << 53 { int(v) } else { string(String(v)) }
    }

    func double(_ v: Double) {
        raw(v.isFinite ? "\(v)" : "0")
    }

    func string(_ s: String) {
        JSONText.appendQuoted(s, to: &bytes)
        maybeFlush()
    }

    func array<S: Sequence>(_ items: S, _ each: (S.Element) -> Void) {
        bytes.append(UInt8(ascii: "["))
        var first = true
        for item in items {
            if !first { bytes.append(UInt8(ascii: ",")) }
            first = false
            each(item)
        }
        bytes.append(UInt8(ascii: "]"))
    }
}
