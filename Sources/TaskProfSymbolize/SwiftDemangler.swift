import CTaskProfSupport

/// Demangles symbols and derives the short names shown in flame graphs.
///
/// Full names come from the Swift runtime's own demangler (so they match what Swift tools
/// print); short names are derived from that text by a small bracket-aware parser rather
/// than by a second demangler, because only libswiftCore is guaranteed to be present.
public enum SwiftDemangler {
    /// The canonical form of a demangled name, by which `taskprof diff` matches functions across
    /// builds: the compiler's variants of one source function (generic and signature
    /// specializations, async partial functions, `merged` copies, per-file discriminators) all
    /// map to one name. The same prefix rules as the short names.
    public static func canonicalName(_ full: String) -> String {
        dropDiscriminators(ShortNameParser(Array(full.utf8)).canonical())
    }

    /// `Mod.(helper in _0123ABCD)(Swift.Int)` → `Mod.helper(Swift.Int)`.
    static func dropDiscriminators(_ s: String) -> String {
        guard s.contains(" in _") else { return s }
        var chars = Array(s)
        var i = 0
        let marker = Array(" in _")
        while i + marker.count < chars.count {
            guard Array(chars[i..<(i + marker.count)]) == marker else { i += 1; continue }
            var end = i + marker.count
            while end < chars.count, chars[end].isLetter || chars[end].isNumber { end += 1 }
            guard end < chars.count, chars[end] == ")", end > i + marker.count else { i += 1; continue }
            var depth = 0
            var open = i - 1
            while open >= 0 {
                if chars[open] == ")" {
                    depth += 1
                } else if chars[open] == "(" {
                    if depth == 0 { break }
                    depth -= 1
                }
                open -= 1
            }
            guard open >= 0 else { i += 1; continue }
            let inner = Array(chars[(open + 1)..<i])
            chars.replaceSubrange(open...end, with: inner)
            i = open + inner.count
        }
        return String(chars)
    }

    /// Full and short name for any symbol: Swift and C++ symbols are demangled, anything
    /// else (C, assembly) is returned unchanged with a sanitized short name.
    public static func names(for symbol: String) -> (full: String, short: String) {
        if isSwiftSymbol(symbol), let full = demangleSwift(symbol) {
            return (full, shortName(fromDemangled: full))
        }
        if symbol.hasPrefix("_Z"), let full = demangleCXX(symbol) {
            return (full, cxxShortName(fromDemangled: full))
        }
        if let partial = topLevelPartialFunction(symbol) { return partial }
        return (symbol, sanitize(symbol))
    }

    /// The async top-level code of `main.swift` is the C symbol `async_Main`; its partial
    /// functions carry a Swift suffix without the `$s` prefix (`async_MainTQ0_`, `…TY1_`),
    /// which the runtime's demangler rejects. All of them are the one function `async_Main`.
    static func topLevelPartialFunction(_ symbol: String) -> (full: String, short: String)? {
        let base = "async_Main"
        guard symbol.hasPrefix(base + "T"), symbol.hasSuffix("_") else { return nil }
        let code = symbol.dropFirst(base.count + 1).dropLast()
        guard let kind = code.first, kind == "Q" || kind == "Y", code.dropFirst().allSatisfy(\.isNumber), code.count > 1 else { return nil }
        let n = Int(code.dropFirst())! + 1
        return ("(\(n)) \(kind == "Q" ? "await" : "suspend") resume partial function for \(base)", base)
    }

    /// Full demangled name, or nil when `symbol` is neither a Swift nor a C++ symbol.
    public static func demangle(_ symbol: String) -> String? {
        if isSwiftSymbol(symbol) { return demangleSwift(symbol) }
        if symbol.hasPrefix("_Z") { return demangleCXX(symbol) }
        return nil
    }

    /// True for the prefixes of current and older Swift manglings. swift_demangle would
    /// reject anything else anyway; checking first avoids the call for C symbols.
    public static func isSwiftSymbol(_ symbol: String) -> Bool {
        for prefix in ["$s", "_$s", "$S", "_$S", "$e", "_$e", "_T0"] where symbol.hasPrefix(prefix) {
            return true
        }
        return false
    }

    /// Readable short form of a demangled Swift name: no module prefix, no parameter or
    /// result types, argument labels kept (`Demo.level2(Swift.Int) async -> Swift.Int`
    /// becomes `level2(_:)`). Specializations get one ` [specialized]` suffix; compiler
    /// hashes (private discriminators) are dropped so two builds give the same names.
    public static func shortName(fromDemangled name: String) -> String {
        let parser = ShortNameParser(Array(name.utf8))
        let result = parser.simplify(parser.all, depth: 0)
        return sanitize(result.isEmpty ? name : result)
    }

    /// Short form of a demangled C++ name: the trailing parameter list (and cv/ref
    /// qualifiers) is dropped when it can be matched unambiguously.
    public static func cxxShortName(fromDemangled name: String) -> String {
        let bytes = Array(name.utf8)
        var end = bytes.count
        var trimmedQualifier = true
        while trimmedQualifier {
            trimmedQualifier = false
            for qualifier in [" const", " volatile", " &&", " &"] {
                let q = Array(qualifier.utf8)
                if end >= q.count, bytes[(end - q.count)..<end].elementsEqual(q) {
                    end -= q.count
                    trimmedQualifier = true
                }
            }
        }
        guard end > 0, bytes[end - 1] == UInt8(ascii: ")") else { return sanitize(name) }
        var depth = 0
        var index = end - 1
        while index >= 0 {
            if bytes[index] == UInt8(ascii: ")") { depth += 1 }
            if bytes[index] == UInt8(ascii: "(") {
                depth -= 1
                if depth == 0 { break }
            }
            index -= 1
        }
        guard index > 0 else { return sanitize(name) }
        return sanitize(String(decoding: bytes[0..<index], as: UTF8.self))
    }

    /// Makes a name safe for FlameGraph folded stacks, where `;` separates frames and a
    /// newline separates stacks.
    public static func sanitize(_ name: String) -> String {
        guard name.utf8.contains(where: { $0 == 0x3b || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 })
        else { return name }
        var result = ""
        result.reserveCapacity(name.utf8.count)
        for scalar in name.unicodeScalars {
            switch scalar {
            case ";": result.append(",")
            case "\n", "\r", "\t": result.append(" ")
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    private static func demangleSwift(_ symbol: String) -> String? {
        let utf8Count = symbol.utf8.count
        guard let raw = symbol.withCString({ tp_swift_demangle($0, utf8Count) }) else { return nil }
        defer { tp_dwarf_free(raw) }
        let text = String(cString: raw)
        return text.isEmpty ? nil : text
    }

    private static func demangleCXX(_ symbol: String) -> String? {
        guard let raw = symbol.withCString({ tp_cxx_demangle($0) }) else { return nil }
        defer { tp_dwarf_free(raw) }
        let text = String(cString: raw)
        return text.isEmpty ? nil : text
    }
}

/// Bracket-aware reader of demangled Swift names (the NodePrinter's output format).
///
/// Works on UTF-8 bytes and cuts only at ASCII syntax characters, so identifiers with
/// non-ASCII characters pass through intact. Every lookup is bounds-checked: unexpected
/// text degrades to a longer name, never to a crash.
private struct ShortNameParser {
    typealias Slice = ArraySlice<UInt8>

    let bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    var all: Slice { bytes[...] }

    /// Deep enough for real names (closures in closures in specializations) while
    /// bounding work on adversarial input.
    private static let maxDepth = 24

    func simplify(_ input: Slice, depth: Int) -> String {
        var s = trim(input)
        guard depth < Self.maxDepth, !s.isEmpty else { return text(s) }

        if let suffix = lastIndex(of: " with unmangled suffix \"", in: s) {
            s = trim(s[s.startIndex..<suffix])
        }
        // `static` distinguishes nothing in a profile (a type cannot have a static and an
        // instance method with the same signature).
        if let rest = drop("static ", from: s) { return simplify(rest, depth: depth + 1) }
        for modifier in ["@objc ", "@nonobjc ", "dynamic "] {
            if let rest = drop(modifier, from: s) {
                return modifier + simplify(rest, depth: depth + 1)
            }
        }
        // Async functions are split into partial functions at each suspension point;
        // showing them under the function's own name keeps one frame per function.
        if let rest = dropPartialFunctionPrefix(s) { return simplify(rest, depth: depth + 1) }
        for transparent in ["merged ", "async function pointer to "] {
            if let rest = drop(transparent, from: s) { return simplify(rest, depth: depth + 1) }
        }
        if let rest = drop("partial apply forwarder for ", from: s) ?? drop("partial apply for ", from: s) {
            return "partial apply for " + simplify(rest, depth: depth + 1)
        }
        if let rest = dropSpecializationPrefix(s) {
            let inner = simplify(rest, depth: depth + 1)
            return inner.hasSuffix(" [specialized]") ? inner : inner + " [specialized]"
        }
        // Thunks are named after function types, which are long and say little.
        for thunk in ["reabstraction thunk helper", "reabstraction thunk"] where hasPrefix(thunk, s) {
            return thunk
        }
        if hasPrefix("thunk for ", s) { return "thunk" }
        if hasPrefix("closure #", s) || hasPrefix("implicit closure #", s) {
            return simplifyClosure(s, depth: depth)
        }
        if let rest = drop("protocol witness for ", from: s) {
            return simplifyWitness(rest, depth: depth)
        }
        if let rest = drop("lazy protocol witness table accessor for type ", from: s) {
            let type = firstTopLevel(" and conformance ", in: rest).map { rest[rest.startIndex..<$0] } ?? rest
            return "lazy protocol witness table accessor for " + simplify(type, depth: depth + 1)
        }
        if let (phrase, rest) = splitDescriptivePhrase(s) {
            return phrase + " " + simplify(rest, depth: depth + 1)
        }
        return simplifyEntity(s, depth: depth)
    }

    // MARK: Forms

    /// `closure #1 @Sendable () async -> () in Ctx.f() -> ()` → `closure #1 in f()`.
    private func simplifyClosure(_ s: Slice, depth: Int) -> String {
        guard let hash = firstIndex(of: UInt8(ascii: "#"), in: s) else { return text(s) }
        var end = hash + 1
        while end < s.endIndex, isDigit(s[end]) { end += 1 }
        let head = text(s[s.startIndex..<end])
        guard let inIndex = firstTopLevel(" in ", in: s[end...]) else { return head }
        return head + " in " + simplify(s[(inIndex + 4)...], depth: depth + 1)
    }

    /// `protocol witness for Swift.Equatable.== infix(A, A) -> Swift.Bool in conformance
    /// Foo.Bar : Swift.Equatable in Foo` → `protocol witness for Equatable.==(_:_:) in Bar`.
    private func simplifyWitness(_ s: Slice, depth: Int) -> String {
        guard let split = firstTopLevel(" in conformance ", in: s) else {
            return "protocol witness for " + simplify(s, depth: depth + 1)
        }
        let requirement = simplify(s[s.startIndex..<split], depth: depth + 1)
        var conformance = s[(split + 16)...]
        // Conditional conformances start with their generic signature: `<A where ...> T : P`.
        if conformance.first == UInt8(ascii: "<"), let close = matchingClose(in: conformance, at: conformance.startIndex) {
            conformance = trim(conformance[(close + 1)...])
        }
        let type =
            firstTopLevel(" : ", in: conformance).map { conformance[conformance.startIndex..<$0] }
            ?? conformance
        return "protocol witness for " + requirement + " in " + simplify(type, depth: depth + 1)
    }

    /// A declaration: `[(extension in M):]Module.Type.name<Generics>(label: T, T) effects -> R`,
    /// `Module.Type.property.getter : T`, or a local function `name #1 (T) -> R in Context`.
    private func simplifyEntity(_ s: Slice, depth: Int) -> String {
        var components: [String] = []
        var i = s.startIndex
        parsing: while i < s.endIndex {
            let c = s[i]
            if c == UInt8(ascii: "(") {
                guard let close = matchingClose(in: s, at: i) else { break parsing }
                let inner = s[(i + 1)..<close]
                i = close + 1
                if hasPrefix("extension in ", inner), i < s.endIndex, s[i] == UInt8(ascii: ":") {
                    // The extending module says where the code lives, not what it is.
                    i += 1
                    continue parsing
                }
                // `(name in _0123ABCD)`: drop the per-file discriminator hash;
                // `(Local #1 in f())`: keep the local name.
                let name = firstTopLevel(" in ", in: inner).map { inner[inner.startIndex..<$0] } ?? inner
                components.append(text(trim(name)))
            } else if isIdentifierByte(c) {
                let start = i
                while i < s.endIndex, isIdentifierByte(s[i]) { i += 1 }
                components.append(text(s[start..<i]))
                if i < s.endIndex, s[i] == UInt8(ascii: "<") {
                    guard let close = matchingClose(in: s, at: i) else { break parsing }
                    i = close + 1
                }
            } else if isOperatorByte(c) {
                // Operator names may contain `<`, `>` and `.`, so they end at the space
                // before their fixity word, never at a bracket.
                let start = i
                while i < s.endIndex, s[i] != UInt8(ascii: " "), s[i] != UInt8(ascii: "(") { i += 1 }
                components.append(text(s[start..<i]))
                for fixity in [" infix", " prefix", " postfix"] {
                    if let rest = drop(fixity, from: s[i...]) {
                        i = rest.startIndex
                        break
                    }
                }
                if i < s.endIndex, s[i] == UInt8(ascii: "<"), let close = matchingClose(in: s, at: i) {
                    i = close + 1
                }
                break parsing
            } else {
                break parsing
            }
            if i < s.endIndex, s[i] == UInt8(ascii: ".") {
                i += 1
            } else {
                break parsing
            }
        }
        guard !components.isEmpty else { return text(s) }

        var labels: [String]?
        var context: String?
        if i < s.endIndex, s[i] == UInt8(ascii: "("), let close = matchingClose(in: s, at: i) {
            labels = argumentLabels(s[(i + 1)..<close])
        } else if let rest = drop(" #", from: s[i...]) {
            // Local function: `helper #1 (x: Swift.Int) -> Swift.Int in Ctx.f() -> ()`.
            var j = rest.startIndex
            while j < s.endIndex, isDigit(s[j]) { j += 1 }
            if j < s.endIndex, s[j] == UInt8(ascii: " ") { j += 1 }
            if j < s.endIndex, s[j] == UInt8(ascii: "("), let close = matchingClose(in: s, at: j) {
                labels = argumentLabels(s[(j + 1)..<close])
                j = close + 1
            }
            if let inIndex = firstTopLevel(" in ", in: s[j...]) {
                context = simplify(s[(inIndex + 4)...], depth: depth + 1)
            }
            // A local name has no module prefix to drop.
            return format(components, labels: labels) + (context.map { " in " + $0 } ?? "")
        }
        let path = components.count >= 2 ? Array(components.dropFirst()) : components
        return format(path, labels: labels)
    }

    private func format(_ path: [String], labels: [String]?) -> String {
        let name = path.joined(separator: ".")
        guard let labels else { return name }
        return name + "(" + labels.map { $0 + ":" }.joined() + ")"
    }

    /// `label: T, _: U, V` → `["label", "_", "_"]`.
    private func argumentLabels(_ list: Slice) -> [String] {
        let list = trim(list)
        guard !list.isEmpty else { return [] }
        var labels: [String] = []
        var start = list.startIndex
        while true {
            let end = firstTopLevel(",", in: list[start...]) ?? list.endIndex
            let parameter = trim(list[start..<end])
            var j = parameter.startIndex
            while j < parameter.endIndex, isIdentifierByte(parameter[j]) { j += 1 }
            if j > parameter.startIndex, j < parameter.endIndex, parameter[j] == UInt8(ascii: ":"),
                j + 1 == parameter.endIndex || parameter[j + 1] == UInt8(ascii: " ")
            {
                labels.append(text(parameter[parameter.startIndex..<j]))
            } else {
                labels.append("_")
            }
            guard end < list.endIndex else { break }
            start = end + 1
        }
        return labels
    }

    /// The name without the prefixes of compiler variants, as many as there are, and nothing
    /// else changed (`SwiftDemangler.canonicalName`).
    func canonical() -> String {
        var s = trim(all)
        while true {
            if let rest = dropPartialFunctionPrefix(s) { s = trim(rest); continue }
            if let rest = drop("merged ", from: s) ?? drop("async function pointer to ", from: s) { s = trim(rest); continue }
            if let rest = dropSpecializationPrefix(s) { s = trim(rest); continue }
            return text(s)
        }
    }

    // MARK: Prefixes

    /// `(2) await resume partial function for X` / `(1) suspend resume partial function for X`.
    private func dropPartialFunctionPrefix(_ s: Slice) -> Slice? {
        var rest = s
        if rest.first == UInt8(ascii: "("), let close = firstIndex(of: UInt8(ascii: ")"), in: rest),
            rest[(rest.startIndex + 1)..<close].allSatisfy(isDigit)
        {
            rest = trim(rest[(close + 1)...])
        }
        for prefix in [
            "await resume partial function for ", "suspend resume partial function for ",
            "resume partial function for ",
        ] {
            if let after = drop(prefix, from: rest) { return after }
        }
        return nil
    }

    /// `generic specialization <...> of X`, `function signature specialization <...> of X`,
    /// `generic not re-abstracted specialization <...> of X`, `specialized X`.
    private func dropSpecializationPrefix(_ s: Slice) -> Slice? {
        if let rest = drop("specialized ", from: s) { return rest }
        guard let open = firstIndex(of: UInt8(ascii: "<"), in: s) else { return nil }
        let words = s[s.startIndex..<open]
        guard hasSuffix("specialization ", words),
            words.allSatisfy({ isLowercase($0) || $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "-") })
        else { return nil }
        if let close = matchingClose(in: s, at: open), let rest = drop(" of ", from: s[(close + 1)...]) { return rest }
        // The demangler prints some parameter lists unbalanced (`<Arg[4] = [Closure Propagated :
        // …, Argument Types : []> of …`): then the list ends at the first `> of `.
        let marker = Array("> of ".utf8)
        var i = open + 1
        while i + marker.count <= s.endIndex {
            if s[i..<(i + marker.count)].elementsEqual(marker) { return s[(i + marker.count)...] }
            i += 1
        }
        return nil
    }

    /// Descriptions such as `type metadata accessor for X`, `outlined copy of X`,
    /// `default argument 0 of X`, `outlined variable #0 of X`: a run of lower-case words
    /// (or numbers) ending in `of`/`for`/`to`. The phrase is kept; X is shortened.
    private func splitDescriptivePhrase(_ s: Slice) -> (String, Slice)? {
        var wordStart = s.startIndex
        var wordCount = 0
        while wordStart < s.endIndex {
            let wordEnd = firstIndex(of: UInt8(ascii: " "), in: s[wordStart...]) ?? s.endIndex
            let word = s[wordStart..<wordEnd]
            guard wordEnd < s.endIndex, !word.isEmpty else { return nil }
            let isLinkWord = equals(word, "of") || equals(word, "for") || equals(word, "to")
            if isLinkWord, wordCount > 0 {
                return (text(s[s.startIndex..<wordEnd]), s[(wordEnd + 1)...])
            }
            let plain = word.allSatisfy { isLowercase($0) || $0 == UInt8(ascii: "-") }
            let number =
                word.drop(while: { $0 == UInt8(ascii: "#") }).allSatisfy(isDigit)
                && word.contains(where: isDigit)
            guard plain || number else { return nil }
            wordCount += 1
            wordStart = wordEnd + 1
        }
        return nil
    }

    // MARK: Scanning

    /// Index of the bracket closing the one at `open`. `->` arrows are not brackets.
    private func matchingClose(in s: Slice, at open: Int) -> Int? {
        var stack: [UInt8] = []
        var i = open
        while i < s.endIndex {
            let c = s[i]
            switch c {
            case UInt8(ascii: "("): stack.append(UInt8(ascii: ")"))
            case UInt8(ascii: "["): stack.append(UInt8(ascii: "]"))
            case UInt8(ascii: "<"): stack.append(UInt8(ascii: ">"))
            case UInt8(ascii: "{"): stack.append(UInt8(ascii: "}"))
            case UInt8(ascii: ")"), UInt8(ascii: "]"), UInt8(ascii: ">"), UInt8(ascii: "}"):
                if c == UInt8(ascii: ">"), i > s.startIndex, s[i - 1] == UInt8(ascii: "-") { break }
                guard stack.last == c else { return nil }
                stack.removeLast()
                if stack.isEmpty { return i }
            default: break
            }
            i += 1
        }
        return nil
    }

    /// First occurrence of `needle` outside any brackets, searching from `s.startIndex`.
    private func firstTopLevel(_ needle: String, in s: Slice) -> Int? {
        let needle = Array(needle.utf8)
        var depth = 0
        var i = s.startIndex
        while i < s.endIndex {
            let c = s[i]
            if depth == 0, c == needle[0], i + needle.count <= s.endIndex,
                s[i..<(i + needle.count)].elementsEqual(needle)
            {
                return i
            }
            switch c {
            case UInt8(ascii: "("), UInt8(ascii: "["), UInt8(ascii: "<"), UInt8(ascii: "{"): depth += 1
            case UInt8(ascii: ">") where i > s.startIndex && s[i - 1] == UInt8(ascii: "-"): break
            case UInt8(ascii: ")"), UInt8(ascii: "]"), UInt8(ascii: ">"), UInt8(ascii: "}"):
                depth = max(0, depth - 1)
            default: break
            }
            i += 1
        }
        return nil
    }

    private func firstIndex(of byte: UInt8, in s: Slice) -> Int? { s.firstIndex(of: byte) }

    private func lastIndex(of needle: String, in s: Slice) -> Int? {
        let needle = Array(needle.utf8)
        guard s.count >= needle.count else { return nil }
        var i = s.endIndex - needle.count
        while i >= s.startIndex {
            if s[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i -= 1
        }
        return nil
    }

    private func hasPrefix(_ prefix: String, _ s: Slice) -> Bool {
        s.starts(with: prefix.utf8)
    }

    private func hasSuffix(_ suffix: String, _ s: Slice) -> Bool {
        let suffix = Array(suffix.utf8)
        return s.count >= suffix.count && s[(s.endIndex - suffix.count)...].elementsEqual(suffix)
    }

    private func drop(_ prefix: String, from s: Slice) -> Slice? {
        hasPrefix(prefix, s) ? s[(s.startIndex + prefix.utf8.count)...] : nil
    }

    private func equals(_ s: Slice, _ word: String) -> Bool { s.elementsEqual(word.utf8) }

    private func trim(_ s: Slice) -> Slice {
        var s = s
        while let first = s.first, first == UInt8(ascii: " ") { s = s.dropFirst() }
        while let last = s.last, last == UInt8(ascii: " ") { s = s.dropLast() }
        return s
    }

    private func text(_ s: Slice) -> String { String(decoding: s, as: UTF8.self) }

    private func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

    private func isLowercase(_ c: UInt8) -> Bool { c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z") }

    /// Identifier characters, including every byte of a non-ASCII character.
    private func isIdentifierByte(_ c: UInt8) -> Bool {
        isDigit(c) || isLowercase(c) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
            || c == UInt8(ascii: "_") || c == UInt8(ascii: "$") || c >= 0x80
    }

    private func isOperatorByte(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "/"), UInt8(ascii: "="), UInt8(ascii: "-"), UInt8(ascii: "+"),
            UInt8(ascii: "!"), UInt8(ascii: "*"), UInt8(ascii: "%"), UInt8(ascii: "<"),
            UInt8(ascii: ">"), UInt8(ascii: "&"), UInt8(ascii: "|"), UInt8(ascii: "^"),
            UInt8(ascii: "~"), UInt8(ascii: "?"), UInt8(ascii: "."):
            return true
        default:
            return false
        }
    }
}
