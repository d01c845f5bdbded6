/// The report pages, kept as files in `Sources/TaskProfReports/Web/` and embedded in the binary
/// when it is built (SwiftPM's `embedInCode`), so `taskprof` stays one executable whose pages
/// work offline.
///
/// A page is an HTML file whose `/*@include NAME@*/` lines stand for the file NAME (its style
/// and scripts: one output file, no network); the renderer writes the page up to the data
/// placeholder, then the data (JSON, escaped for a script element), then the rest.
///
/// Rules the pages keep, which the tests check:
/// - no network: no external URL anywhere, and a Content-Security-Policy that forbids loading
///   anything (scripts and styles are inline);
/// - data reaches the DOM only through `textContent` (and canvas `fillText`), never as markup;
/// - `#selftest` in the URL runs a scripted check and writes JSON into `<pre id="selftest-result">`.
enum WebPage {
    static let files: [String: [UInt8]] = [
        "report.html": PackageResources.report_html, "report.css": PackageResources.report_css,
        "report.js": PackageResources.report_js, "common.js": PackageResources.common_js,
        "diff.html": PackageResources.diff_html, "diff.css": PackageResources.diff_css, "diff.js": PackageResources.diff_js,
    ]

    /// The report page (`--html`), split around its data placeholder.
    static let report = assemble("report.html", placeholder: "/*@TASKPROF_DATA@*/")
    /// The diff page (`diff --html`).
    static let diff = assemble("diff.html", placeholder: "/*@TASKPROF_DIFF_DATA@*/")

    /// A page with its includes in place. An include names a file of `files`; a name that is not
    /// there is a build mistake, and shows in the page as a comment a test looks for.
    static func text(_ name: String) -> String {
        let page = String(decoding: files[name] ?? [], as: UTF8.self)
        var out = ""
        for line in page.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("/*@include "), line.hasSuffix("@*/") {
                let file = String(line.dropFirst("/*@include ".count).dropLast("@*/".count))
                if let body = files[file] { out += String(decoding: body, as: UTF8.self) } else { out += "/* missing include \(file) */\n" }
            } else {
                out += line + "\n"
            }
        }
        return String(out.dropLast())
    }

    static func assemble(_ name: String, placeholder: String) -> (head: String, tail: String) {
        let page = text(name)
        guard let r = page.range(of: placeholder) else { return (page, "") }
        return (String(page[..<r.lowerBound]), String(page[r.upperBound...]))
    }
}
