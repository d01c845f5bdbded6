import CTaskProfSupport
import Glibc
import Synchronization
import TaskProfModel

/// Symbolizes runtime addresses of a recorded process with libdw: function names from
/// each module's symbol table, source lines and inlined frames from DWARF where present.
///
/// Files are opened and indexed lazily, on the first address that falls into them, so a
/// profile touching a handful of the process's libraries only pays for those. Results
/// are cached per address. libdw is not thread-safe, so all work happens under a lock;
/// that also makes the symbolizer safe to share between tasks.
public final class DwarfSymbolizer: Symbolizer, Sendable {
    public let modules: [LoadedModule]
    private let engine: Mutex<SymbolizerEngine>

    public init(modules: [LoadedModule]) {
        self.modules = modules
        self.engine = Mutex(SymbolizerEngine(modules: modules))
    }

    public func symbolize(address: UInt64, isReturnAddress: Bool) -> [SymbolizedFrame] {
        engine.withLock { $0.symbolize(address: address, isReturnAddress: isReturnAddress) }
    }
}

/// Mutable state behind `DwarfSymbolizer`'s lock.
private final class SymbolizerEngine {
    private let modules: [ModuleIndex]
    /// Executable ranges of all modules sorted by start, for binary search.
    private let ranges: [(range: Range<UInt64>, module: Int)]
    /// Separate caches because a leaf and a return address with the same value resolve
    /// differently (the latter looks up `address - 1`).
    private var leafCache: [UInt64: [SymbolizedFrame]] = [:]
    private var returnCache: [UInt64: [SymbolizedFrame]] = [:]
    /// Demangling is slower than the DWARF lookups; many addresses share one function.
    private var names: [String: (full: String, short: String)] = [:]

    /// Deepest inline chain reported; deeper chains keep their outermost levels.
    private static let maxScopes = 48

    init(modules: [LoadedModule]) {
        self.modules = modules.map(ModuleIndex.init)
        var ranges: [(range: Range<UInt64>, module: Int)] = []
        for (index, module) in modules.enumerated() {
            for range in module.executableRanges where !range.isEmpty {
                ranges.append((range, index))
            }
        }
        self.ranges = ranges.sorted { $0.range.lowerBound < $1.range.lowerBound }
    }

    func symbolize(address: UInt64, isReturnAddress: Bool) -> [SymbolizedFrame] {
        let lookup = isReturnAddress && address > 0 ? address - 1 : address
        if isReturnAddress {
            if let frames = returnCache[address] { return frames }
        } else if let frames = leafCache[address] {
            return frames
        }
        let frames = resolve(address: address, lookup: lookup)
        if isReturnAddress {
            returnCache[address] = frames
        } else {
            leafCache[address] = frames
        }
        return frames
    }

    private func resolve(address: UInt64, lookup: UInt64) -> [SymbolizedFrame] {
        guard let moduleIndex = self.moduleIndex(containing: lookup) ?? self.moduleIndex(containing: address)
        else {
            let name = "0x" + String(address, radix: 16)
            return [SymbolizedFrame(function: name, shortName: name, module: "?")]
        }
        let module = modules[moduleIndex]
        let offsetName = module.name + "+0x" + String(address &- module.info.bias, radix: 16)
        let unresolved = [SymbolizedFrame(function: offsetName, shortName: offsetName, module: module.name)]
        guard let handle = module.handle() else { return unresolved }

        let entry = module.symbolEntry(containing: lookup)
        let symbol = entry?.name
        let unit = module.unit(containing: lookup)
        var lineFile: String?
        var lineNumber: Int?
        if let unit {
            var file: UnsafePointer<CChar>?
            var line: Int32 = 0
            // Code the compiler attributes to line 0 (cleanups after a call) takes the line of
            // the row before it in the same function: for a return address, the call's line.
            if tp_dwarf_source_line(handle, unit, lookup, entry?.start ?? lookup, &file, &line) != 0, let file {
                lineFile = module.sourcePath(file, unit: unit)
                lineNumber = line > 0 ? Int(line) : nil
            }
        }

        if let unit, let subprogram = module.subprogram(containing: lookup, unit: unit) {
            var scopes = [tp_dwarf_scope](repeating: tp_dwarf_scope(), count: Self.maxScopes)
            let count = scopes.withUnsafeMutableBufferPointer { buffer in
                tp_dwarf_inline_chain(handle, subprogram, lookup, buffer.baseAddress, buffer.count)
            }
            if count > 0 {
                var frames: [SymbolizedFrame] = []
                frames.reserveCapacity(count)
                for level in 0..<count {
                    // The symbol table names the real code (including async partial
                    // functions), so it wins for the outermost level when present.
                    let raw = (level == 0 ? symbol : nil) ?? scopeName(scopes[level])
                    let (full, short) = raw.map(demangled) ?? (offsetName, offsetName)
                    var file: String?
                    var line: Int?
                    if level == count - 1 {
                        file = lineFile
                        line = lineNumber
                    } else {
                        // An outer frame is "at" the call site of the frame inlined into it.
                        let callee = scopes[level + 1]
                        file = callee.call_file.map { module.sourcePath($0, unit: unit) }
                        line = callee.call_line > 0 ? Int(callee.call_line) : nil
                    }
                    frames.append(
                        SymbolizedFrame(
                            function: full, shortName: short, module: module.name,
                            file: file, line: line, inlined: level > 0))
                }
                return frames.reversed()
            }
        }

        guard let symbol else { return unresolved }
        let (full, short) = demangled(symbol)
        return [
            SymbolizedFrame(
                function: full, shortName: short, module: module.name,
                file: lineFile, line: lineNumber)
        ]
    }

    private func scopeName(_ scope: tp_dwarf_scope) -> String? {
        if let linkage = scope.linkage_name, linkage.pointee != 0 { return String(cString: linkage) }
        if let name = scope.name, name.pointee != 0 { return String(cString: name) }
        return nil
    }

    private func demangled(_ symbol: String) -> (full: String, short: String) {
        if let known = names[symbol] { return known }
        let result = SwiftDemangler.names(for: symbol)
        names[symbol] = result
        return result
    }

    private func moduleIndex(containing address: UInt64) -> Int? {
        // Last range starting at or before the address.
        var low = 0
        var high = ranges.count
        while low < high {
            let mid = (low + high) / 2
            if ranges[mid].range.lowerBound <= address { low = mid + 1 } else { high = mid }
        }
        guard low > 0 else { return nil }
        let candidate = ranges[low - 1]
        return candidate.range.contains(address) ? candidate.module : nil
    }
}

/// One module's libdw handle plus the address indexes libdw cannot provide for Swift
/// code (which has no .debug_aranges): compile-unit ranges for the whole file, built on
/// first use, and subprogram ranges per compile unit, built when the unit is first hit.
private final class ModuleIndex {
    let info: LoadedModule
    let name: String
    private var opened = false
    private var rawHandle: OpaquePointer?
    private var symbols: [SymbolEntry]?
    private var units: [IndexedRange]?
    private var subprograms: [UInt64: [IndexedRange]] = [:]
    private var directories: [UInt64: String?] = [:]

    init(_ info: LoadedModule) {
        self.info = info
        self.name = info.fileName
    }

    deinit {
        if let rawHandle { tp_dwarf_module_close(rawHandle) }
    }

    /// nil when the file is missing, unreadable or not ELF; the module then only yields
    /// `module+0x…` names.
    func handle() -> OpaquePointer? {
        if !opened {
            opened = true
            rawHandle = tp_dwarf_module_open(info.path, info.bias) ?? openVDSO()
        }
        return rawHandle
    }

    /// The vDSO has no file: this process's own copy stands in for it when the build-ids match
    /// (the profile is being made on the machine that recorded it). The copy is unlinked once
    /// libdw holds it open.
    private func openVDSO() -> OpaquePointer? {
        guard name.hasPrefix("linux-vdso") || name == "[vdso]" else { return nil }
        var id: [UInt8] = []
        var hex = info.buildID.utf8.makeIterator()
        while let h = hex.next(), let l = hex.next() {
            guard let byte = UInt8(String(decoding: [h, l], as: UTF8.self), radix: 16) else { return nil }
            id.append(byte)
        }
        guard !id.isEmpty else { return nil }
        let dir = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        let path = "\(dir)/taskprof-vdso-\(getpid())-\(info.buildID).so"
        guard tp_vdso_write(id, id.count, path) == 0 else { return nil }
        defer { unlink(path) }
        return tp_dwarf_module_open(path, info.bias)
    }

    /// Symbol-table name of the function containing `address`.
    func symbol(containing address: UInt64) -> String? { symbolEntry(containing: address)?.name }

    /// Name and start address of the function containing `address`.
    func symbolEntry(containing address: UInt64) -> (name: String, start: UInt64)? {
        if symbols == nil, let handle = handle() {
            var count = 0
            let raw = tp_dwarf_function_symbols(handle, &count)
            symbols = SymbolEntry.index(raw, count: count)
        }
        guard let symbols else { return nil }
        var low = 0
        var high = symbols.count
        while low < high {
            let mid = (low + high) / 2
            if symbols[mid].start <= address { low = mid + 1 } else { high = mid }
        }
        guard low > 0, address < symbols[low - 1].end else { return nil }
        let name = String(cString: symbols[low - 1].name)
        // Versioned definitions appear as `memcpy@@GLIBC_2.14` in .symtab; the version
        // is noise in a profile, and '@' never occurs in C, C++ or Swift mangled names.
        if let at = name.utf8.firstIndex(of: UInt8(ascii: "@")), at != name.utf8.startIndex {
            return (String(name[..<at]), symbols[low - 1].start)
        }
        return (name, symbols[low - 1].start)
    }

    func unit(containing address: UInt64) -> UInt64? {
        if units == nil, let handle = handle() {
            var count = 0
            let raw = tp_dwarf_unit_ranges(handle, &count)
            units = IndexedRange.sorted(raw, count: count)
        }
        return units.flatMap { IndexedRange.find(address, in: $0) }
    }

    /// Absolute path for a file name from the unit's line table; the compiler's
    /// `<compiler-generated>` pseudo-file keeps its bare name whatever directory it got.
    func sourcePath(_ raw: UnsafePointer<CChar>, unit: UInt64) -> String {
        let path = String(cString: raw)
        if path.hasSuffix("<compiler-generated>") { return "<compiler-generated>" }
        if path.hasPrefix("/") { return path }
        let directory: String?
        if let known = directories[unit] {
            directory = known
        } else {
            directory = handle().flatMap { tp_dwarf_unit_directory($0, unit) }.map { String(cString: $0) }
            directories[unit] = directory
        }
        guard let directory, !directory.isEmpty else { return path }
        return directory.hasSuffix("/") ? directory + path : directory + "/" + path
    }

    func subprogram(containing address: UInt64, unit: UInt64) -> UInt64? {
        if let ranges = subprograms[unit] { return IndexedRange.find(address, in: ranges) }
        guard let handle = handle() else { return nil }
        var count = 0
        let raw = tp_dwarf_subprogram_ranges(handle, unit, &count)
        let ranges = IndexedRange.sorted(raw, count: count)
        subprograms[unit] = ranges
        return IndexedRange.find(address, in: ranges)
    }
}

/// A function symbol covering `start..<end`. `name` points into libdw's copy of the
/// string table, which lives as long as the module handle that produced it.
private struct SymbolEntry {
    var start: UInt64
    var end: UInt64
    var name: UnsafePointer<CChar>

    /// Symbols without a size reach this far at most: enough for hand-written assembly,
    /// short enough not to swallow padding and unrelated code after the last symbol.
    private static let unsizedSpan: UInt64 = 4096

    /// Copies and frees the C array; sorts by address and keeps one name per address,
    /// preferring global over weak over local, and sized over unsized symbols (aliases
    /// like `__libc_malloc`/`malloc` would otherwise pick a name at random).
    static func index(_ raw: UnsafeMutablePointer<tp_dwarf_symbol>?, count: Int) -> [SymbolEntry] {
        guard let raw else { return [] }
        defer { tp_dwarf_free(raw) }
        func rank(_ symbol: tp_dwarf_symbol) -> Int {
            let binding = symbol.binding == 1 ? 0 : symbol.binding == 2 ? 1 : 2
            return binding * 2 + (symbol.size > 0 ? 0 : 1)
        }
        // Among equally ranked aliases the public-looking one wins (fewer leading
        // underscores, then shorter, then alphabetical), so the choice is deterministic.
        func underscores(_ name: UnsafePointer<CChar>) -> Int {
            var count = 0
            while name[count] == CChar(UInt8(ascii: "_")) { count += 1 }
            return count
        }
        func precedes(_ a: tp_dwarf_symbol, _ b: tp_dwarf_symbol) -> Bool {
            if a.start != b.start { return a.start < b.start }
            let (rankA, rankB) = (rank(a), rank(b))
            if rankA != rankB { return rankA < rankB }
            guard let nameA = a.name, let nameB = b.name else { return a.name != nil }
            let (underscoresA, underscoresB) = (underscores(nameA), underscores(nameB))
            if underscoresA != underscoresB { return underscoresA < underscoresB }
            let (lengthA, lengthB) = (strlen(nameA), strlen(nameB))
            if lengthA != lengthB { return lengthA < lengthB }
            return strcmp(nameA, nameB) < 0
        }
        let sorted = UnsafeBufferPointer(start: raw, count: count).filter { $0.name != nil }.sorted(by: precedes)
        var entries: [SymbolEntry] = []
        entries.reserveCapacity(sorted.count)
        for (position, symbol) in sorted.enumerated() {
            guard let name = symbol.name else { continue }
            if let previous = entries.last, previous.start == symbol.start { continue }
            var end = symbol.start &+ symbol.size
            if symbol.size == 0 {
                let next = sorted[(position + 1)...].first { $0.start > symbol.start }?.start
                end = min(next ?? UInt64.max, symbol.start &+ unsizedSpan)
            }
            entries.append(SymbolEntry(start: symbol.start, end: max(end, symbol.start &+ 1), name: name))
        }
        return entries
    }
}

/// A runtime address range owned by the DIE at `offset`.
private struct IndexedRange {
    var low: UInt64
    var high: UInt64
    var offset: UInt64

    /// Copies and frees a range array returned by the C shim.
    static func sorted(_ raw: UnsafeMutablePointer<tp_dwarf_range>?, count: Int) -> [IndexedRange] {
        guard let raw else { return [] }
        defer { tp_dwarf_free(raw) }
        let buffer = UnsafeBufferPointer(start: raw, count: count)
        return buffer.map { IndexedRange(low: $0.low, high: $0.high, offset: $0.die_offset) }
            .sorted { ($0.low, $0.high) < ($1.low, $1.high) }
    }

    /// Offset of the innermost range containing `address`. Ranges rarely nest, but when
    /// they do (a CU range list covering another CU's code) the closest start wins;
    /// a short backwards scan covers ranges that start earlier and reach further.
    static func find(_ address: UInt64, in ranges: [IndexedRange]) -> UInt64? {
        var low = 0
        var high = ranges.count
        while low < high {
            let mid = (low + high) / 2
            if ranges[mid].low <= address { low = mid + 1 } else { high = mid }
        }
        var index = low - 1
        var scanned = 0
        while index >= 0, scanned < 8 {
            if address < ranges[index].high { return ranges[index].offset }
            index -= 1
            scanned += 1
        }
        return nil
    }
}
