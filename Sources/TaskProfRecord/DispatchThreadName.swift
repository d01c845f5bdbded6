/// libdispatch names its worker threads after their root queue (`com.apple.root.default-qos`),
/// but the kernel keeps 15 bytes of a thread's name and libdispatch gives it the tail, so a
/// profile would show `oot.default-qos`. Where the tail belongs to exactly one root queue's
/// label, the label is shown whole; where it could be several (`-qos.overcommit`), the part that
/// is known, with an ellipsis for the rest.
public enum DispatchThreadName {
    static let rootQueueLabels: [String] = ["maintenance", "background", "utility", "default", "user-initiated", "user-interactive"]
        .flatMap { ["com.apple.root.\($0)-qos", "com.apple.root.\($0)-qos.overcommit"] }

    /// The root queue's label for a kernel-truncated worker name, else `name` unchanged.
    public static func expanded(_ name: String) -> String {
        guard name.utf8.count == 15 else { return name }
        let matches = rootQueueLabels.filter { $0.hasSuffix(name) }
        if matches.count == 1 { return matches[0] }
        return matches.isEmpty ? name : "com.apple.root.…" + name
    }
}
