import TaskProfModel

/// The self-contained HTML report (`--html FILE`): one file, no network, with a flame graph
/// (flame or icicle) scoped to all samples, a task, the tasks of one name, a thread or a long
/// poll; sortable task, thread and function tables; a caller/callee view; and findings.
///
/// The page is `Web/report.html` with its style and scripts (`WebPage`); the data goes into a
/// `<script type="application/json">` block written by `writeData(to:)`.
public struct HTMLReport: Renderer {
    public var profile: Profile

    public init(profile: Profile) { self.profile = profile }

    public func render(to sink: OutputSink) {
        let parts = WebPage.report
        sink.write(parts.head)
        writeData(to: sink)
        sink.write(parts.tail)
        sink.flush()
    }
}
