import Foundation

/// The Chrome JSON trace format's rules (its "Trace Event Format" document), checked event by
/// event: the object form with `traceEvents`; every event has `ph`, and by phase: complete events
/// (`X`) a name, `ts` ≥ 0, `dur` ≥ 0, `pid` and `tid`; metadata (`M`) `process_name` or
/// `thread_name` with `args.name`; counters (`C`) a name, `ts`, `pid` and numeric args; flow
/// events (`s`, `f`) an `id` and `ts`, `f` with `bp` "e", each start with one end no earlier.
/// Complete events on one thread nest: a slice that starts inside another ends inside it.
public enum TraceCheck {
    public static func check(_ data: Data) throws -> [[String: Any]] {
        guard let top = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { throw TestFailure("not a JSON object") }
        guard let events = top["traceEvents"] as? [[String: Any]] else { throw TestFailure("no traceEvents array") }
        var flows: [Int: (start: Double?, end: Double?)] = [:]
        var slices: [String: [(ts: Double, end: Double)]] = [:]
        for (i, e) in events.enumerated() {
            func fail(_ why: String) -> TestFailure { TestFailure("event \(i) \(e): \(why)") }
            guard let ph = e["ph"] as? String else { throw fail("no ph") }
            let ts = e["ts"] as? Double
            switch ph {
            case "X":
                guard e["name"] is String, let ts, ts >= 0, let dur = e["dur"] as? Double, dur >= 0, e["pid"] is Int, e["tid"] is Int else {
                    throw fail("a complete event needs name, ts >= 0, dur >= 0, pid, tid")
                }
                slices["\(e["pid"]!)/\(e["tid"]!)", default: []].append((ts, ts + dur))
            case "M":
                guard let name = e["name"] as? String, ["process_name", "thread_name"].contains(name), e["pid"] is Int,
                    (e["args"] as? [String: Any])?["name"] is String
                else { throw fail("metadata needs process_name/thread_name, pid and args.name") }
                if name == "thread_name" && !(e["tid"] is Int) { throw fail("thread_name needs tid") }
            case "C":
                guard e["name"] is String, let ts, ts >= 0, e["pid"] is Int, let args = e["args"] as? [String: Any], !args.isEmpty,
                    args.values.allSatisfy({ $0 is NSNumber })
                else { throw fail("a counter needs name, ts, pid and numeric args") }
            case "s", "f":
                guard let id = e["id"] as? Int, let ts, e["pid"] is Int, e["tid"] is Int else { throw fail("a flow event needs id, ts, pid, tid") }
                if ph == "f" && e["bp"] as? String != "e" { throw fail("a flow end binds to its enclosing slice (bp e)") }
                if ph == "s" { flows[id, default: (nil, nil)].start = ts } else { flows[id, default: (nil, nil)].end = ts }
            default:
                throw fail("a phase taskprof does not write")
            }
        }
        for (id, f) in flows {
            guard let s = f.start, let e = f.end, e >= s else { throw TestFailure("flow \(id) has no start, no end, or ends first") }
        }
        for (track, list) in slices {
            var open: [Double] = []
            for s in list.sorted(by: { $0.ts != $1.ts ? $0.ts < $1.ts : $0.end > $1.end }) {
                // Times are microseconds with three decimals: compare to the nanosecond, as
                // ts + dur in floating point can land a hair past a slice that starts right there.
                while let top = open.last, top <= s.ts + 0.0005 { open.removeLast() }
                if let top = open.last, s.end > top + 0.0005 { throw TestFailure("slices on \(track) overlap without nesting at \(s.ts)") }
                open.append(s.end)
            }
        }
        return events
    }
}
