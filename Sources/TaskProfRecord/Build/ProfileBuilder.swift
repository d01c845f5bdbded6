import Foundation
import TaskProfModel
import TaskProfSymbolize

/// Turns a raw stream into a `Profile`: symbolizes each distinct address once, interns frames
/// and stacks, aggregates samples per (task, thread, stack) and summarizes Swift jobs.
public struct ProfileBuilder {
    public var bucketNs: UInt64 = 10_000_000
    public var longPollThresholdNs: UInt64 = 10_000_000
    public var blockingThresholdNs: UInt64 = 1_000_000
    /// `record --stuck`: tasks suspended at least this long in a final dump are stuck.
    public var stuckThresholdNs: UInt64 = Profile.defaultStuckThresholdNs
    /// Called with (done, total) distinct stacks while symbolizing.
    public var progress: ((Int, Int) -> Void)?

    public init(bucketNs: UInt64 = 10_000_000, longPollThresholdNs: UInt64 = 10_000_000, progress: ((Int, Int) -> Void)? = nil) {
        self.bucketNs = bucketNs
        self.longPollThresholdNs = longPollThresholdNs
        self.progress = progress
    }

    public func build(raw: RawRecording, symbolizer: any Symbolizer, meta: ProfileMeta) -> Profile {
        var meta = meta
        meta.pid = raw.pid
        meta.startTimeNs = raw.startRealtimeNs
        meta.durationNs = raw.endMonotonicNs &- raw.startMonotonicNs
        meta.engine = raw.engine
        meta.engineNote = raw.engineNote
        meta.rateHz = raw.rateHz
        meta.signal = raw.signal
        meta.complete = raw.complete
        meta.jobTracking = raw.jobTracking
        meta.bucketNs = bucketNs
        meta.notes += raw.notes
        if let lost = raw.counters["stream.lostBytes"], lost > 0 {
            meta.notes.append("\(lost) bytes of the agent's stream could not be written (disk full?): samples and events in them are missing")
        }
        if let main = raw.modules.first { meta.mainBuildID = main.buildID }

        let agentCode = raw.modules.filter { $0.path.hasSuffix("/libTaskProfAgent.so") }.flatMap(\.executableRanges)
        var interner = StackInterner(symbolizer: symbolizer, hidden: agentCode)
        let threads = buildThreads(raw)
        let threadIndex = Dictionary(uniqueKeysWithValues: threads.enumerated().map { ($1.tid, Int32($0)) })

        // Distinct raw stacks first: most samples repeat a stack, and symbolizing is the slow part.
        var rawStackIndex: [ArraySlice<UInt64>: Int32] = [:]
        var sampleStack = [Int32](repeating: 0, count: raw.samples.count)
        var distinct: [ArraySlice<UInt64>] = []
        for (i, s) in raw.samples.enumerated() {
            let key = raw.frames[s.frameStart..<(s.frameStart + s.frameCount)]
            if let idx = rawStackIndex[key] {
                sampleStack[i] = idx
            } else {
                let idx = Int32(distinct.count)
                rawStackIndex[key] = idx
                distinct.append(key)
                sampleStack[i] = idx
            }
        }
        var symbolizedStack = [Int32](repeating: 0, count: distinct.count)
        var locatedStack = [Int32](repeating: 0, count: distinct.count)
        for (i, addresses) in distinct.enumerated() {
            (symbolizedStack[i], locatedStack[i]) = interner.internLocated(addresses: addresses)
            if i % 1000 == 999 { progress?(i + 1, distinct.count) }
        }
        progress?(distinct.count, distinct.count)

        struct GroupKey: Hashable { var task: UInt64; var thread: Int32; var stack: Int32 }
        var groups: [GroupKey: (count: UInt32, buckets: [UInt32: UInt32])] = [:]
        var order: [GroupKey] = []
        var located: [GroupKey: UInt32] = [:]
        var locatedOrder: [GroupKey] = []
        // A captured stack (the one-off stack of a long poll with no sample) is not CPU time: it
        // goes to its long poll only.
        for (i, s) in raw.samples.enumerated() where s.flags & RawRecording.captureFlag == 0 {
            let thread = threadIndex[s.tid] ?? 0
            let key = GroupKey(task: s.taskID, thread: thread, stack: symbolizedStack[Int(sampleStack[i])])
            let bucket = UInt32(clamping: (s.timeNs &- raw.startMonotonicNs) / bucketNs)
            if groups[key] == nil { order.append(key) }
            groups[key, default: (0, [:])].count += 1
            groups[key]!.buckets[bucket, default: 0] += 1
            let at = GroupKey(task: s.taskID, thread: thread, stack: locatedStack[Int(sampleStack[i])])
            if located[at] == nil { locatedOrder.append(at) }
            located[at, default: 0] += 1
        }
        let samples = order.map { k -> SampleGroup in
            let g = groups[k]!
            let buckets = g.buckets.sorted { $0.key < $1.key }.map { TimeBucket(index: $0.key, count: $0.value) }
            return SampleGroup(taskID: k.task, thread: k.thread, stack: k.stack, count: g.count, buckets: buckets)
        }

        var taskIDs = Set(raw.samples.map(\.taskID))
        for d in raw.taskDumps { taskIDs.formUnion(d.tasks.map(\.taskID)) }
        taskIDs.formUnion(raw.jobs.map(\.taskID))
        taskIDs.formUnion(raw.jobAggregates.values.map(\.taskID))
        taskIDs.remove(0)
        let tasks = taskIDs.sorted().map { TaskInfo(id: $0, name: raw.taskNames[$0]) }

        // Blocking calls' stacks are interned with the samples' so reports share frames, once
        // each: the sites and the timeline both use them.
        let callStacks = raw.blockingCalls.map { interner.internLocated(addresses: raw.frames[$0.frameStart..<($0.frameStart + $0.frameCount)]) }
        let (blocking, locatedBlocking) = BlockingAnalyzer(thresholdNs: blockingThresholdNs).summarize(
            raw: raw, callStacks: callStacks, frames: interner.frames, stacks: interner.stacks)

        let dumps = raw.taskDumps.map { buildDump($0, raw: raw, interner: &interner) }
        let timeline = buildTimeline(raw, threadIndex: threadIndex, callStacks: callStacks.map(\.stack))

        var counters = raw.counters
        counters["stream.trailingBytes"] = UInt64(raw.trailingBytes)
        for (i, n) in raw.handlerHistogram.enumerated() where n > 0 { counters["handler.hist.\(i)"] = n }
        for (i, n) in raw.asyncHistogram.enumerated() where n > 0 { counters["handler.async.hist.\(i)"] = n }
        var profile = Profile(
            meta: meta, counters: counters, modules: raw.modules, frames: interner.frames,
            stacks: interner.stacks, threads: threads, tasks: tasks, samples: samples,
            blocking: blocking)
        profile.taskDumps = dumps
        profile.addressStacks = AddressStacks(
            locations: interner.locations, stacks: interner.locatedStacks,
            samples: locatedOrder.map { AddressStacks.Sample(taskID: $0.task, thread: $0.thread, stack: $0.stack, count: located[$0]!) },
            blocking: locatedBlocking)
        profile.timeline = timeline
        profile.stuckThresholdNs = stuckThresholdNs
        if raw.jobTracking {
            profile.jobs = JobAnalyzer(thresholdNs: longPollThresholdNs)
                .summarize(raw: raw, threads: threads, sampleStacks: { i in symbolizedStack[Int(sampleStack[i])] })
        }
        return profile
    }

    /// A dump of live tasks: times from the start of the recording, stacks symbolized.
    private func buildDump(_ d: RawRecording.TaskDump, raw: RawRecording, interner: inout StackInterner) -> TaskDump {
        let reason: TaskDump.Reason = d.reason == 2 ? .request : d.reason == 3 ? .signal : .end
        let kinds: [UInt8: LiveTask.Kind] = [1: .unstructured, 2: .detached, 3: .groupChild, 4: .asyncLet]
        let states: [UInt8: LiveTask.State] = [1: .running, 2: .enqueued, 3: .suspended]
        let tasks = d.tasks.compactMap { t -> LiveTask? in
            guard let state = states[t.state] else { return nil }
            var awaitStack: Int32 = -1
            if t.frameCount > 0 {
                // Resume functions: entry points, symbolized as logical (async) frames.
                let addresses = raw.frames[t.frameStart..<(t.frameStart + t.frameCount)].map { $0 | StackInterner.asyncFrameBit }
                awaitStack = interner.intern(addresses: addresses[...])
            }
            // Return addresses out of swift_task_create, innermost first: a physical stack (its leaf
            // looked up at the call, the byte before the return address).
            let site = t.createdAt.prefix { $0 != 0 }
            let createdAt = site.isEmpty ? -1 : interner.intern(addresses: [site.first! - 1] + site.dropFirst())
            return LiveTask(
                id: t.taskID, parent: t.parentID == 0 ? nil : t.parentID, kind: kinds[t.kind] ?? .unknown, state: state,
                forNs: t.sinceNs == 0 || t.sinceNs > d.timeNs ? nil : d.timeNs - t.sinceNs,
                tid: state == .running && t.tid != 0 ? t.tid : nil, cancelled: t.flags & 1 != 0,
                createdNs: t.createdNs == 0 ? nil : t.createdNs &- raw.startMonotonicNs, createdAt: createdAt,
                awaitStack: awaitStack, wait: LiveTask.RuntimeWait(rawValue: t.wait) ?? .unknown,
                waitingOnTask: t.waitingOnID == 0 ? nil : t.waitingOnID)
        }
        return TaskDump(
            reason: reason, timeNs: d.timeNs &- raw.startMonotonicNs, unreadable: d.unreadable,
            note: d.note.isEmpty ? nil : d.note, tasks: tasks)
    }

    /// Every job (when the agent wrote every job: `record --timeline`) and the blocking calls one
    /// by one, times from the start.
    private func buildTimeline(_ raw: RawRecording, threadIndex: [Int32: Int32], callStacks: [Int32]) -> Timeline {
        let base = raw.startMonotonicNs
        var t = Timeline()
        if (raw.counters["timeline.jobs"] ?? 0) > 0 {
            t.jobs = raw.jobs.map { j in
                Timeline.Job(
                    taskID: j.taskID, thread: threadIndex[j.tid] ?? 0, enqueueNs: j.enqueueNs == 0 ? nil : j.enqueueNs &- base,
                    startNs: j.startNs &- base, endNs: max(j.endNs, j.startNs) &- base)
            }.sorted { $0.startNs < $1.startNs }
        }
        for (call, stack) in zip(raw.blockingCalls, callStacks).prefix(Timeline.blockingCap) {
            t.blocking.append(
                Timeline.Blocking(
                    primitive: BlockingAnalyzer.primitiveNames[call.primitive] ?? "primitive \(call.primitive)", taskID: call.taskID,
                    thread: threadIndex[call.tid] ?? 0, startNs: call.startNs &- base, durationNs: call.durationNs, stack: stack))
        }
        t.blockingDropped = UInt64(max(raw.blockingCalls.count - Timeline.blockingCap, 0))
        return t
    }

    private func buildThreads(_ raw: RawRecording) -> [ThreadInfo] {
        var order = raw.threadOrder
        for s in raw.samples where raw.threads[s.tid] == nil && !order.contains(s.tid) { order.append(s.tid) }
        return order.map { tid in
            let t = raw.threads[tid]
            let name = DispatchThreadName.display(t?.name ?? "")
            let kind: ThreadKind
            if t?.kind == 1 {
                kind = .main
            } else if name.hasPrefix("NIO-ELT") {
                kind = .nioEventLoop
            } else if t?.kind == 2 || (t?.jobsRun ?? 0) > 0 || name.contains("qos") {
                kind = .swiftPool
            } else {
                kind = .other
            }
            return ThreadInfo(tid: tid, name: name, kind: kind, jobsRun: t?.jobsRun ?? 0)
        }
    }
}
