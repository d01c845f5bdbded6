import TaskProfModel

/// Placeholder until the HTML report lands: writes a minimal page.
public struct HTMLReport {
    public var profile: Profile
    public init(profile: Profile) { self.profile = profile }
    public func render(to sink: OutputSink) {
        sink.write("<!doctype html><meta charset=utf-8><title>taskprof</title><p>HTML report not implemented yet.</p>\n")
    }
}
