/// libdispatch names its worker threads after their root queue (`com.apple.root.default-qos`),
/// but the kernel keeps 15 bytes of a thread's name and libdispatch gives it the tail, so a
/// profile would show `oot.default-qos`. Workers are shown by their root queue without the
/// common `com.apple.root.` prefix (`default-qos`), short enough for a table column; a tail that
/// could be several queues (`-qos.overcommit`) keeps an ellipsis for the part that is not known.
public enum DispatchThreadName {
    static let rootQueues: [String] = ["maintenance", "background", "utility", "default", "user-initiated", "user-interactive"]
        .flatMap { ["\($0)-qos", "\($0)-qos.overcommit"] }

    /// The root queue a kernel-truncated worker name stands for, else `name` unchanged.
    public static func display(_ name: String) -> String {
        guard name.utf8.count == 15 else { return name }
        let matches = rootQueues.filter { ("com.apple.root." + $0).hasSuffix(name) }
        if matches.count == 1 { return matches[0] }
        return matches.isEmpty ? name : "…" + name
    }
}
