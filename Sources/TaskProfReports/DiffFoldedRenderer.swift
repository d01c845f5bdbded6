import TaskProfAnalysis
import TaskProfModel

/// Differential folded stacks (`diff --folded`): `frame;…;leaf base_count new_count`, one line per
/// stack seen in either profile, the format difffolded.pl writes and flamegraph.pl reads.
public struct DiffFoldedRenderer: Renderer {
    public var base: Profile
    public var new: Profile
    public var taskName: String?

    public init(base: Profile, new: Profile, taskName: String? = nil) {
        self.base = base
        self.new = new
        self.taskName = taskName
    }

    public func render(to sink: OutputSink) {
        for line in ProfileDiff.differentialFolded(base: base, new: new, taskName: taskName) {
            sink.write(line.frames.joined(separator: ";"))
            sink.write(" \(line.base) \(line.new)\n")
        }
    }
}
