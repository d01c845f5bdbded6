import Foundation
import TaskProfAnalysis
import TaskProfModel

/// The self-contained HTML page of `taskprof diff --html`: a differential flame graph (widths
/// from NEW coloured by change, and the reverse view with widths from BASE), scoped to all
/// samples, one task group or one thread name; the function and task tables with significance;
/// long-poll findings; both builds' identities. One file, no network.
///
/// The page is `Web/diff.html` with its style and script (`WebPage`); the data goes into a
/// `<script type="application/json">` element with `<`, `>` and `&` escaped.
public struct DiffHTMLReport: Renderer {
    public var diff: ProfileDiff
    public var flame: DiffFlameData

    public init(diff: ProfileDiff, base: Profile, new: Profile) {
        self.diff = diff
        self.flame = DiffFlameData(base: base, new: new)
    }

    /// The data block of the page (private to the page and this file):
    ///   base, new      the builds' identities (as in `--json`)
    ///   normalize      "samples" or "time"; baseSeconds/newSeconds for the time normalization
    ///   funcs          [short, full, module]
    ///   stacks         function indices, root first
    ///   tasks/threads  task group labels / thread names
    ///   samples        flat, five numbers per group: stack, task (-1 = none), thread, base, new
    ///   functions, taskTable, longPolls, significance: the tables, as in `--json`
    struct PageData: Encodable {
        var v = 1
        var base: DiffJSON.Build
        var new: DiffJSON.Build
        var normalize: String
        var task: String?
        var baseSeconds: Double
        var newSeconds: Double
        var identical: Bool
        var significance: DiffJSON.Significance
        var funcs: [[String]]
        var stacks: [[Int]]
        var tasks: [String]
        var threads: [String]
        var samples: [Int64]
        var functions: [DiffJSON.Function]
        var regressions: Int
        var improvements: Int
        var taskTable: [DiffJSON.Task]
        var longPolls: [DiffJSON.Finding]?
    }

    func pageData() -> PageData {
        let j = DiffJSON(diff, maxFunctions: 2000)
        var samples: [Int64] = []
        samples.reserveCapacity(flame.groups.count * 5)
        for g in flame.groups {
            samples.append(Int64(g.stack))
            samples.append(Int64(g.task))
            samples.append(Int64(g.thread))
            samples.append(Int64(clamping: g.base))
            samples.append(Int64(clamping: g.new))
        }
        return PageData(
            base: j.base, new: j.new, normalize: j.normalize, task: j.task,
            baseSeconds: Double(diff.base.durationNs) / 1e9, newSeconds: Double(diff.new.durationNs) / 1e9,
            identical: j.identical, significance: j.significance,
            funcs: flame.functions.map { [$0.shortName, $0.name, $0.module] }, stacks: flame.stacks,
            tasks: flame.tasks, threads: flame.threads, samples: samples, functions: j.functions,
            regressions: j.regressions.count, improvements: j.improvements.count,
            taskTable: j.tasks, longPolls: j.longPolls)
    }

    /// The JSON of the data block, safe inside a `<script>` element.
    func dataJSON() -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]  // the same diff, the same page
        let data = (try? enc.encode(pageData())) ?? Data("{}".utf8)
        return Self.escapeForScript(String(decoding: data, as: UTF8.self))
    }

    /// `<`, `>` and `&` (and the JavaScript line separators) as `\uXXXX` escapes: JSON text
    /// means the same, and nothing in it can close the script element or open a comment.
    static func escapeForScript(_ json: String) -> String {
        var out = ""
        out.reserveCapacity(json.utf8.count)
        for ch in json.unicodeScalars {
            switch ch {
            case "<": out += "\\u003c"
            case ">": out += "\\u003e"
            case "&": out += "\\u0026"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    public func render(to sink: OutputSink) {
        let parts = WebPage.diff
        sink.write(parts.head)
        sink.write(dataJSON())
        sink.write(parts.tail)
        sink.flush()
    }
}
