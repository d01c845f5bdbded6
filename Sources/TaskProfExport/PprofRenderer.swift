import CTaskProfSupport
import Foundation
import SwiftProtobuf
import TaskProfAnalysis
import TaskProfModel
import TaskProfReports

/// `report --pprof FILE`: the profile as pprof's gzip-compressed profile.proto, which `go tool
/// pprof`, Grafana Pyroscope and Parca read (docs/EXPORTS.md).
///
/// - CPU: sample types `samples/count` and `cpu/nanoseconds` (samples × the sampling period),
///   period type `cpu/nanoseconds`. Blocking calls (`.blocking`): `calls/count` and
///   `blocked/nanoseconds`, as Go's block profile sits beside its CPU profile.
/// - A location is one code address: a physical frame with the frames inlined into it, each its
///   own `Line` (innermost first), or a logical frame (an awaiting async caller) at its resume
///   function's entry. A return address is given as the byte before it, in the call. Its mapping
///   is the module, with its build-id. A profile without addresses (`AddressStacks`: recorded
///   before they were kept, or merged from several processes) gets one location per frame group,
///   with no address.
/// - Every sample is labelled `task_name`, `task_kind`, `thread_name` (strings) and `task_id` (a
///   number), where known.
public struct PprofRenderer: Renderer {
    public enum Kind { case cpu, blocking }

    public let profile: Profile
    public let kind: Kind

    public init(_ profile: Profile, kind: Kind = .cpu) {
        self.profile = profile
        self.kind = kind
    }

    public func render(to sink: OutputSink) throws {
        let bytes: [UInt8] = try message().serializedBytes()
        sink.write(bytes: try Self.gzip(bytes))
    }

    public enum ExportError: Error, CustomStringConvertible {
        case compression
        public var description: String { "could not compress the pprof profile (zlib)" }
    }

    static func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
        var out: UnsafeMutablePointer<UInt8>?
        var length = 0
        let rc = bytes.withUnsafeBufferPointer { tp_gzip($0.baseAddress, $0.count, &out, &length) }
        guard rc == 0, let out else { throw ExportError.compression }
        defer { free(out) }
        return Array(UnsafeBufferPointer(start: out, count: length))
    }

    /// The profile.proto message (not yet compressed).
    func message() -> Perftools_Profiles_Profile {
        var b = Builder(profile)
        var m = Perftools_Profiles_Profile()
        let period = Int64(1_000_000_000 / max(UInt64(profile.meta.rateHz), 1))
        switch kind {
        case .cpu:
            m.sampleType = [b.valueType("samples", "count"), b.valueType("cpu", "nanoseconds")]
            m.periodType = b.valueType("cpu", "nanoseconds")
            m.period = period
            if let a = profile.addressStacks {
                for s in a.samples {
                    var sample = Perftools_Profiles_Sample()
                    sample.locationID = b.locations(ofAddressStack: Int(s.stack))
                    sample.value = [Int64(s.count), Int64(s.count) * period]
                    sample.label = b.labels(task: s.taskID, thread: Int(s.thread))
                    m.sample.append(sample)
                }
            } else {
                for s in profile.samples where profile.stacks.indices.contains(Int(s.stack)) {
                    var sample = Perftools_Profiles_Sample()
                    sample.locationID = b.locations(ofStack: Int(s.stack))
                    sample.value = [Int64(s.count), Int64(s.count) * period]
                    sample.label = b.labels(task: s.taskID, thread: Int(s.thread))
                    m.sample.append(sample)
                }
            }
        case .blocking:
            m.sampleType = [b.valueType("calls", "count"), b.valueType("blocked", "nanoseconds")]
            m.periodType = b.valueType("blocked", "nanoseconds")
            m.period = 1
            m.defaultSampleType = b.string("blocked")
            let sites = profile.blocking?.sites ?? []
            func sample(_ site: BlockingSite, _ locations: [UInt64], count: UInt32, totalNs: UInt64) {
                var sample = Perftools_Profiles_Sample()
                sample.locationID = locations
                sample.value = [Int64(count), Int64(clamping: totalNs)]
                sample.label = b.labels(task: site.taskIDs.count == 1 ? site.taskIDs[0] : 0, thread: nil)
                sample.label.append(b.label("primitive", site.primitive))
                m.sample.append(sample)
            }
            if let a = profile.addressStacks {
                for c in a.blocking where sites.indices.contains(Int(c.site)) {
                    sample(sites[Int(c.site)], b.locations(ofAddressStack: Int(c.stack)), count: c.count, totalNs: c.totalNs)
                }
            } else {
                for site in sites {
                    for st in site.stacks where profile.stacks.indices.contains(Int(st.stack)) {
                        sample(site, b.locations(ofStack: Int(st.stack)), count: st.count, totalNs: st.totalNs)
                    }
                }
            }
        }
        m.timeNanos = Int64(clamping: profile.meta.startTimeNs)
        m.durationNanos = Int64(clamping: profile.meta.durationNs)
        m.mapping = b.mappings
        m.location = b.locationTable
        m.function = b.functions
        m.comment = [b.string("taskprof: " + profile.meta.command.joined(separator: " "))]
        m.stringTable = b.strings
        return m
    }

    /// The string table, functions, locations and mappings, each interned as they are met.
    struct Builder {
        let profile: Profile
        var strings: [String] = [""]
        var stringIndex: [String: Int64] = ["": 0]
        var functions: [Perftools_Profiles_Function] = []
        var functionIndex: [String: UInt64] = [:]
        var locationTable: [Perftools_Profiles_Location] = []
        var locationIndex: [[Int32]: UInt64] = [:]
        var mappings: [Perftools_Profiles_Mapping] = []
        var mappingIndex: [String: UInt64] = [:]
        var stackLocations: [Int: [UInt64]] = [:]
        var addressIndex: [UInt64: UInt64] = [:]
        let names: [UInt64: String]
        let kinds: [UInt64: String]
        let modulesByName: [String: LoadedModule]

        init(_ p: Profile) {
            profile = p
            names = p.taskNames
            kinds = TaskKinds(p).labels
            modulesByName = Dictionary(p.modules.map { (($0.path as NSString).lastPathComponent, $0) }, uniquingKeysWith: { a, _ in a })
        }

        mutating func string(_ s: String) -> Int64 {
            if let i = stringIndex[s] { return i }
            let i = Int64(strings.count)
            strings.append(s)
            stringIndex[s] = i
            return i
        }

        mutating func valueType(_ type: String, _ unit: String) -> Perftools_Profiles_ValueType {
            var v = Perftools_Profiles_ValueType()
            v.type = string(type)
            v.unit = string(unit)
            return v
        }

        mutating func label(_ key: String, _ value: String) -> Perftools_Profiles_Label {
            var l = Perftools_Profiles_Label()
            l.key = string(key)
            l.str = string(value)
            return l
        }

        mutating func labels(task: UInt64, thread: Int?) -> [Perftools_Profiles_Label] {
            var out: [Perftools_Profiles_Label] = []
            if task != 0 {
                out.append(label("task_name", names[task] ?? TaskInfo.unnamedLabel(task)))
                if let kind = kinds[task] { out.append(label("task_kind", kind)) }
                var id = Perftools_Profiles_Label()
                id.key = string("task_id")
                id.num = Int64(clamping: TaskInfo.localID(task))
                out.append(id)
            }
            if let thread, profile.threads.indices.contains(thread) { out.append(label("thread_name", profile.threads[thread].label)) }
            return out
        }

        mutating func mapping(_ module: String) -> UInt64 {
            if let id = mappingIndex[module] { return id }
            var m = Perftools_Profiles_Mapping()
            m.id = UInt64(mappings.count + 1)
            let loaded = modulesByName[module]
            m.filename = string(loaded?.path ?? module)
            m.buildID = string(loaded?.buildID ?? "")
            if let r = loaded?.executableRanges, let lo = r.map(\.lowerBound).min(), let hi = r.map(\.upperBound).max() {
                m.memoryStart = lo
                m.memoryLimit = hi
                // The executable segment's file offset, taken as its vaddr: the two are equal in
                // what the toolchain's linkers and Debian's libraries lay out (readelf -l).
                if let bias = loaded?.bias, lo >= bias { m.fileOffset = lo - bias }
            }
            m.hasFunctions_p = true
            m.hasFilenames_p = true
            m.hasLineNumbers_p = true
            m.hasInlineFrames_p = true
            mappings.append(m)
            mappingIndex[module] = m.id
            return m.id
        }

        mutating func function(_ f: SymbolizedFrame) -> UInt64 {
            let key = f.shortName + "\u{0}" + f.function + "\u{0}" + (f.file ?? "")
            if let id = functionIndex[key] { return id }
            var fn = Perftools_Profiles_Function()
            fn.id = UInt64(functions.count + 1)
            fn.name = string(f.shortName)
            fn.systemName = string(f.function)
            fn.filename = string(f.file ?? "")
            functions.append(fn)
            functionIndex[key] = fn.id
            return fn.id
        }

        /// Location ids of a stack, leaf first (pprof's order). A physical frame and the frames
        /// inlined into it (the frames after it, towards the leaf, marked inlined) are one
        /// location.
        mutating func locations(ofStack s: Int) -> [UInt64] {
            if let hit = stackLocations[s] { return hit }
            var groups: [[Int32]] = []
            for f in profile.stacks[s] {
                if profile.frames[Int(f)].inlined, !groups.isEmpty { groups[groups.count - 1].append(f) } else { groups.append([f]) }
            }
            let ids = groups.reversed().map { location($0) }
            stackLocations[s] = ids
            return ids
        }

        /// Location ids of an address stack, leaf first: one location per address (the first
        /// frames met at an address name it).
        mutating func locations(ofAddressStack s: Int) -> [UInt64] {
            guard let a = profile.addressStacks else { return [] }
            return a.stacks[s].reversed().map { i in
                let l = a.locations[Int(i)]
                if let id = addressIndex[l.address] { return id }
                let id = makeLocation(l.frames, address: l.address)
                addressIndex[l.address] = id
                return id
            }
        }

        mutating func location(_ group: [Int32]) -> UInt64 {
            if let id = locationIndex[group] { return id }
            let id = makeLocation(group, address: nil)
            locationIndex[group] = id
            return id
        }

        private mutating func makeLocation(_ group: [Int32], address: UInt64?) -> UInt64 {
            var loc = Perftools_Profiles_Location()
            loc.id = UInt64(locationTable.count + 1)
            if let address { loc.address = address }
            let frames = group.map { profile.frames[Int($0)] }
            loc.mappingID = mapping(frames[0].module)
            // Innermost (the last inlined) first; the physical frame last.
            loc.line = frames.reversed().map { f in
                var line = Perftools_Profiles_Line()
                line.functionID = function(f)
                line.line = Int64(f.line ?? 0)
                return line
            }
            locationTable.append(loc)
            return loc.id
        }
    }
}
