import TaskProfAnalysis
import TaskProfModel

/// FlameGraph folded stacks: `root;frame;…;leaf count`, one line per distinct stack.
public struct FoldedRenderer: Renderer {
    public var profile: Profile
    public var scope: Scope
    public var groupBy: GroupBy

    public init(_ profile: Profile, scope: Scope = .all, groupBy: GroupBy = .task) {
        self.profile = profile
        self.scope = scope
        self.groupBy = groupBy
    }

    public func render(to sink: OutputSink) {
        for line in profile.foldedStacks(scope: scope, groupBy: groupBy) {
            sink.write(line.frames.joined(separator: ";"))
            sink.write(" \(line.count)\n")
        }
    }
}
