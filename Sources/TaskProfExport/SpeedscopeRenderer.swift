import Foundation
import TaskProfAnalysis
import TaskProfModel
import TaskProfReports

/// `report --speedscope FILE`: speedscope's file format (its `file-format-spec`), one sampled
/// profile per task (named like the task) and one per thread for the samples outside tasks, over
/// shared frames. Stacks are root first; a sample's weight is its number of samples (unit `none`).
/// The busiest profile opens first.
public struct SpeedscopeRenderer: Renderer {
    public let profile: Profile

    public init(_ profile: Profile) { self.profile = profile }

    struct File: Encodable {
        struct Frame: Encodable, Hashable {
            var name: String
            var file: String?
            var line: Int?
        }
        struct Shared: Encodable { var frames: [Frame] }
        struct SampledProfile: Encodable {
            var type = "sampled"
            var name: String
            var unit = "none"
            var startValue = 0
            var endValue: Int
            var samples: [[Int]]
            var weights: [Int]
        }
        var schema = "https://www.speedscope.app/file-format-schema.json"
        var shared: Shared
        var profiles: [SampledProfile]
        var name: String
        var activeProfileIndex: Int
        var exporter: String

        enum CodingKeys: String, CodingKey {
            case schema = "$schema", shared, profiles, name, activeProfileIndex, exporter
        }
    }

    func file() -> File {
        var frames: [File.Frame] = []
        var frameIndex: [File.Frame: Int] = [:]
        var mapped: [Int32: Int] = [:]
        func frame(_ i: Int32) -> Int {
            if let hit = mapped[i] { return hit }
            let f = profile.frames[Int(i)]
            let key = File.Frame(name: f.shortName, file: f.file, line: f.line)
            let idx: Int
            if let known = frameIndex[key] {
                idx = known
            } else {
                idx = frames.count
                frames.append(key)
                frameIndex[key] = idx
            }
            mapped[i] = idx
            return idx
        }
        // One profile per task, and per thread for samples outside tasks.
        enum Key: Hashable { case task(UInt64), thread(Int32) }
        var order: [Key] = []
        var groups: [Key: (samples: [[Int]], weights: [Int])] = [:]
        for s in profile.samples where profile.stacks.indices.contains(Int(s.stack)) {
            let key: Key = s.taskID != 0 ? .task(s.taskID) : .thread(s.thread)
            if groups[key] == nil {
                order.append(key)
                groups[key] = ([], [])
            }
            groups[key]!.samples.append(profile.stacks[Int(s.stack)].map(frame))
            groups[key]!.weights.append(Int(s.count))
        }
        let names = profile.taskNames
        let profiles = order.map { key -> File.SampledProfile in
            let g = groups[key]!
            let name: String
            switch key {
            case .task(let id): name = names[id].map { "task \(TaskInfo.localID(id)) \"\($0)\"" } ?? TaskInfo.unnamedLabel(id)
            case .thread(let t):
                name = (profile.threads.indices.contains(Int(t)) ? profile.threads[Int(t)].label : "thread ?") + " (outside tasks)"
            }
            return File.SampledProfile(name: name, endValue: g.weights.reduce(0, +), samples: g.samples, weights: g.weights)
        }
        let busiest = profiles.indices.max { profiles[$0].endValue < profiles[$1].endValue } ?? 0
        return File(
            shared: File.Shared(frames: frames), profiles: profiles, name: profile.meta.command.joined(separator: " "),
            activeProfileIndex: busiest, exporter: "taskprof")
    }

    public func render(to sink: OutputSink) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.withoutEscapingSlashes]
        sink.write(bytes: try enc.encode(file()))
        sink.write("\n")
    }
}
