import Foundation
import TaskProfModel
import CTaskProfSupport
import TaskProfSymbolize
import XCTest

// MARK: - Short names (pure string logic)

final class SwiftShortNameTests: XCTestCase {
    private func short(_ demangled: String) -> String {
        SwiftDemangler.shortName(fromDemangled: demangled)
    }

    func testPlainFunctions() {
        XCTAssertEqual(short("Demo.level2(Swift.Int) async -> Swift.Int"), "level2(_:)")
        XCTAssertEqual(short("TwoTasks.burn(iterations: Swift.Int) -> Swift.Int"), "burn(iterations:)")
        XCTAssertEqual(short("TwoTasks.main() async -> ()"), "main()")
        XCTAssertEqual(short("Foo.pair(_: Swift.Int, with: Swift.String) throws -> ()"), "pair(_:with:)")
        XCTAssertEqual(short("Foo.f(Swift.Int, Swift.Int, Swift.Int) -> ()"), "f(_:_:_:)")
        XCTAssertEqual(short("Foo.g(x: inout Swift.Int, _: __owned [Swift.String : Swift.Int]) -> ()"), "g(x:_:)")
    }

    func testParameterTypesWithCommasAndArrowsDoNotSplitLabels() {
        XCTAssertEqual(
            short("Foo.run(body: (Swift.Int, Swift.Int) -> Swift.Int, map: Swift.Dictionary<Swift.String, Swift.Int>) -> ()"),
            "run(body:map:)")
        XCTAssertEqual(short("Foo.call(_: @escaping @Sendable () async throws -> ()) -> ()"), "call(_:)")
    }

    func testStaticMethodsAndTypes() {
        XCTAssertEqual(short("static TwoTasks.App.main() -> ()"), "App.main()")
        XCTAssertEqual(short("static Prog.App.$main() async -> ()"), "App.$main()")
        XCTAssertEqual(short("Prog.Counter.add(amount: Swift.Int) -> ()"), "Counter.add(amount:)")
        XCTAssertEqual(short("Prog.Outer.Inner.run() -> ()"), "Outer.Inner.run()")
        XCTAssertEqual(short("Prog.Counter.init(total: Swift.Int) -> Prog.Counter"), "Counter.init(total:)")
        XCTAssertEqual(short("Prog.Box.__allocating_init() -> Prog.Box"), "Box.__allocating_init()")
        XCTAssertEqual(short("Prog.Box.deinit"), "Box.deinit")
    }

    func testAccessors() {
        XCTAssertEqual(short("Prog.Counter.total.getter : Swift.Int"), "Counter.total.getter")
        XCTAssertEqual(short("Prog.Counter.total.modify : Swift.Int"), "Counter.total.modify")
        XCTAssertEqual(short("Prog.Counter.subscript.getter : (Swift.Int) -> Swift.Int"), "Counter.subscript.getter")
        XCTAssertEqual(
            short("Prog.Counter.total.modify : Swift.Int with unmangled suffix \".resume.0\""),
            "Counter.total.modify")
    }

    func testClosures() {
        XCTAssertEqual(short("closure #1 @Sendable () async -> () in TwoTasks.main() async -> ()"), "closure #1 in main()")
        XCTAssertEqual(
            short("closure #1 @Sendable () async -> Swift.Int in static Prog.App.main() async -> ()"),
            "closure #1 in App.main()")
        XCTAssertEqual(
            short("closure #2 (Swift.Int) -> Swift.Bool in closure #1 () -> () in Foo.run() -> ()"),
            "closure #2 in closure #1 in run()")
        XCTAssertEqual(
            short("implicit closure #1 () throws -> Swift.Bool in Foo.check(x: Swift.Int) -> ()"),
            "implicit closure #1 in check(x:)")
    }

    func testLocalFunctions() {
        XCTAssertEqual(
            short("helper #1 (x: Swift.Int) -> Swift.Int in Prog.burn(iterations: Swift.Int) -> Swift.Int"),
            "helper(x:) in burn(iterations:)")
    }

    func testSpecializations() {
        XCTAssertEqual(short("generic specialization <Swift.Int> of Foo.bar<A>(A) -> A"), "bar(_:) [specialized]")
        XCTAssertEqual(
            short("generic specialization <Swift.Int> of Prog.generic<A where A: Swift.Equatable>(A, A) -> Swift.Bool"),
            "generic(_:_:) [specialized]")
        XCTAssertEqual(
            short("function signature specialization <Arg[0] = Dead> of static Prog.App.main() async -> ()"),
            "App.main() [specialized]")
        XCTAssertEqual(
            short(
                "function signature specialization <Arg[1] = Value Promoted from Box> of closure #1 (Swift.Int) -> Swift.Int in Prog.burn(iterations: Swift.Int) -> Swift.Int"
            ),
            "closure #1 in burn(iterations:) [specialized]")
        // The demangler prints a closure-propagation list unbalanced: the list ends at `> of `.
        XCTAssertEqual(
            short(
                "function signature specialization <Arg[4] = [Closure Propagated : $sSMsSkRzSL7ElementSTRpzrlE4sortyyFSbAB_ABtcfu_Says6UInt32VG_Tt1G5, Argument Types : []> of generic specialization <Swift.UInt32> of Swift._merge<A>(low: Swift.UnsafeMutablePointer<A>, mid: Swift.UnsafeMutablePointer<A>, high: Swift.UnsafeMutablePointer<A>, buffer: Swift.UnsafeMutablePointer<A>, by: (A, A) throws -> Swift.Bool) throws -> Swift.Bool"
            ),
            "_merge(low:mid:high:buffer:by:) [specialized]")
        // Nested specializations get one suffix.
        XCTAssertEqual(
            short(
                "generic specialization <Swift.Int> of function signature specialization <Arg[0] = Owned To Guaranteed, Arg[1] = Exploded> of Foo.bar<A>(A, Swift.Int) -> ()"
            ),
            "bar(_:_:) [specialized]")
        XCTAssertEqual(
            short(
                "generic specialization <Swift.Int> of (extension in Swift):Swift.Task< where B == Swift.Never>.init(name: Swift.String?, priority: Swift.TaskPriority?, operation: __owned @isolated(any) () async -> A) -> Swift.Task<A, Swift.Never>"
            ),
            "Task.init(name:priority:operation:) [specialized]")
    }

    func testAsyncPartialFunctionsShareTheFunctionsName() {
        XCTAssertEqual(short("(1) await resume partial function for Prog.level2(Swift.Int) async -> Swift.Int"), "level2(_:)")
        XCTAssertEqual(short("(3) suspend resume partial function for static Prog.App.main() async -> ()"), "App.main()")
        XCTAssertEqual(
            short(
                "(1) await resume partial function for partial apply forwarder for closure #1 @Sendable () async -> Swift.Int in static Prog.App.main() async -> ()"
            ),
            "partial apply for closure #1 in App.main()")
    }

    func testThunksAndDescriptions() {
        XCTAssertEqual(
            short("reabstraction thunk helper from @escaping @callee_guaranteed () -> () to @escaping @callee_guaranteed () -> (@out ())"),
            "reabstraction thunk helper")
        XCTAssertEqual(
            short(
                "function signature specialization <Arg[1] = [Constant Propagated Function : async_Main]> of reabstraction thunk helper from @escaping @convention(thin) @async () -> () to @escaping @callee_guaranteed @async () -> (@out (), @error @owned Swift.Error)"
            ),
            "reabstraction thunk helper [specialized]")
        XCTAssertEqual(
            short(
                "partial apply forwarder for generic not re-abstracted specialization <Swift.Int> of reabstraction thunk helper <A, B where A: Swift.Sendable, B == Swift.Never> from @escaping @isolated(any) @callee_guaranteed @async () -> (@out A) to @escaping @callee_guaranteed @async () -> (@out A, @error @owned Swift.Error) with unmangled suffix \".14\""
            ),
            "partial apply for reabstraction thunk helper [specialized]")
        XCTAssertEqual(short("thunk for @escaping @callee_guaranteed () -> ()"), "thunk")
        XCTAssertEqual(short("type metadata accessor for Prog.App"), "type metadata accessor for App")
        XCTAssertEqual(short("outlined init with copy of Swift.TaskPriority?"), "outlined init with copy of TaskPriority")
        XCTAssertEqual(
            short("default argument 0 of Prog.Counter.init(total: Swift.Int) -> Prog.Counter"),
            "default argument 0 of Counter.init(total:)")
        XCTAssertEqual(
            short("variable initialization expression of Prog.Counter.total : Swift.Int"),
            "variable initialization expression of Counter.total")
        XCTAssertEqual(short("merged Foo.bar() -> ()"), "bar()")
        XCTAssertEqual(short("dispatch thunk of Foo.Base.run() -> ()"), "dispatch thunk of Base.run()")
        XCTAssertEqual(
            short("lazy protocol witness table accessor for type Foo.Bar and conformance Foo.Bar : Swift.Equatable in Foo"),
            "lazy protocol witness table accessor for Bar")
    }

    func testProtocolWitnessesAndOperators() {
        XCTAssertEqual(
            short("protocol witness for Swift.Equatable.== infix(A, A) -> Swift.Bool in conformance Foo.Bar : Swift.Equatable in Foo"),
            "protocol witness for Equatable.==(_:_:) in Bar")
        XCTAssertEqual(
            short(
                "generic specialization <Swift.Int> of protocol witness for Swift.Collection.formIndex(after: inout A.Index) -> () in conformance < where A: Swift.Strideable, A.Stride: Swift.SignedInteger> Swift.Range<A> : Swift.Collection in Swift"
            ),
            "protocol witness for Collection.formIndex(after:) in Range [specialized]")
        XCTAssertEqual(short("static Foo.Vec.+ infix(Foo.Vec, Foo.Vec) -> Foo.Vec"), "Vec.+(_:_:)")
        XCTAssertEqual(short("static Foo.Vec.< infix(Foo.Vec, Foo.Vec) -> Swift.Bool"), "Vec.<(_:_:)")
        XCTAssertEqual(short("static Swift.Comparable...< infix(A, A) -> Swift.Range<A>"), "Comparable...<(_:_:)")
        XCTAssertEqual(
            short("static (extension in Swift):Swift.FixedWidthInteger.>>= infix<A where A1: Swift.BinaryInteger>(inout A, A1) -> ()"),
            "FixedWidthInteger.>>=(_:_:)")
        XCTAssertEqual(short("static Foo.Vec.- prefix(Foo.Vec) -> Foo.Vec"), "Vec.-(_:)")
    }

    func testExtensionsAndPrivateNamesAreStable() {
        XCTAssertEqual(short("(extension in Prog):Swift.Int.double() -> Swift.Int"), "Int.double()")
        XCTAssertEqual(short("(extension in Foo):Swift.Array< where A: Swift.Equatable>.dedupe() -> [A]"), "Array.dedupe()")
        // Private discriminators are per-file hashes; two builds must still agree.
        XCTAssertEqual(short("Foo.(helper in _0123456789ABCDEF)(Swift.Int) -> ()"), "helper(_:)")
        XCTAssertEqual(
            short("Foo.(Cache in _99AA).lookup(key: Swift.String) -> Swift.Int?"),
            "Cache.lookup(key:)")
        XCTAssertEqual(
            short("Foo.(helper in _0123456789ABCDEF)(Swift.Int) -> ()"),
            short("Foo.(helper in _FEDCBA9876543210)(Swift.Int) -> ()"))
    }

    func testShortNamesAreSafeForFoldedStacks() {
        let odd = short("Foo.weird(x: Swift.Int) -> ();\nmore")
        XCTAssertFalse(odd.contains(";"))
        XCTAssertFalse(odd.contains("\n"))
        XCTAssertEqual(SwiftDemangler.sanitize("a;b\nc\td"), "a,b c d")
        XCTAssertEqual(SwiftDemangler.names(for: "evil;symbol\n").short, "evil,symbol ")
    }

    func testMalformedInputNeverCrashes() {
        let inputs = [
            "", " ", "(", ")", "<<<", "->", "closure #", "closure #1", "closure #1 (", "Foo.(",
            "Foo.bar(", "Foo.bar<A", "generic specialization <", "generic specialization <A> of",
            "(1) await resume partial function for ", "protocol witness for ",
            "static ", "a of", "Foo.bar(x: (Swift.Int) -> ", "✓.ünïcödé(ß: Swift.Int) -> ()",
        ]
        for input in inputs {
            let result = short(input)
            XCTAssertFalse(result.contains(";"), input)
        }
        XCTAssertEqual(short("✓.ünïcödé(ß: Swift.Int) -> ()"), "ünïcödé(ß:)")
    }
}

// MARK: - Demangling through the runtime

final class SwiftDemanglerTests: XCTestCase {
    func testSwiftSymbols() {
        XCTAssertEqual(SwiftDemangler.demangle("$s4Prog6level2yS2iYaF"), "Prog.level2(Swift.Int) async -> Swift.Int")
        XCTAssertEqual(SwiftDemangler.demangle("_$s4Prog6level2yS2iYaF"), "Prog.level2(Swift.Int) async -> Swift.Int")
        let names = SwiftDemangler.names(for: "$s4Prog4burn10iterationsS2i_tF")
        XCTAssertEqual(names.full, "Prog.burn(iterations: Swift.Int) -> Swift.Int")
        XCTAssertEqual(names.short, "burn(iterations:)")
        XCTAssertEqual(SwiftDemangler.names(for: "$s4Prog3AppV4mainyyYaFZSiyYaYbcfU_").short, "closure #1 in App.main()")
        XCTAssertEqual(SwiftDemangler.names(for: "$s4Prog7genericySbx_xtSQRzlFSi_Tg5").short, "generic(_:_:) [specialized]")
        XCTAssertEqual(SwiftDemangler.names(for: "$s4Prog6level2yS2iYaFTQ0_").short, "level2(_:)")
    }

    func testNonSwiftSymbolsPassThrough() {
        XCTAssertNil(SwiftDemangler.demangle("malloc"))
        XCTAssertNil(SwiftDemangler.demangle("$notreally"))
        let names = SwiftDemangler.names(for: "pthread_mutex_lock")
        XCTAssertEqual(names.full, "pthread_mutex_lock")
        XCTAssertEqual(names.short, "pthread_mutex_lock")
    }

    func testCXXSymbols() {
        // __cxa_demangle is optional (found at run time); either outcome is acceptable.
        let names = SwiftDemangler.names(for: "_ZNSt6vectorIiSaIiEE9push_backERKi")
        if names.full != "_ZNSt6vectorIiSaIiEE9push_backERKi" {
            XCTAssertEqual(names.full, "std::vector<int, std::allocator<int> >::push_back(int const&)")
            XCTAssertEqual(names.short, "std::vector<int, std::allocator<int> >::push_back")
        }
        XCTAssertEqual(SwiftDemangler.cxxShortName(fromDemangled: "Foo::operator()(int) const"), "Foo::operator()")
        XCTAssertEqual(SwiftDemangler.cxxShortName(fromDemangled: "plain"), "plain")
        XCTAssertEqual(SwiftDemangler.cxxShortName(fromDemangled: "broken)"), "broken)")
    }
}

// MARK: - Fake symbolizer

final class FakeSymbolizerTests: XCTestCase {
    func testTableLookupAndFallback() {
        let frame = SymbolizedFrame(function: "Demo.f() -> ()", shortName: "f()", module: "Demo")
        let fake = FakeSymbolizer([0x1000: [frame]])
        XCTAssertEqual(fake.symbolize(address: 0x1000, isReturnAddress: true), [frame])
        XCTAssertEqual(fake.symbolize(address: 0x2000, isReturnAddress: false).first?.shortName, "0x2000")
        XCTAssertEqual(fake.symbolize(address: 0x2000, isReturnAddress: false).first?.module, "?")
    }
}

// MARK: - libdw against freshly compiled binaries

/// A small Swift program compiled at test time, plus what `nm` says about it.
private struct CompiledFixture: Sendable {
    struct Symbol: Sendable {
        var address: UInt64
        var size: UInt64
    }

    let directory: URL
    let debugBinary: URL  // -Onone -g
    let optimizedBinary: URL  // -O -g, with a fixed build-id
    let debugSymbols: [String: Symbol]
    let optimizedSymbols: [String: Symbol]
    let sourceLines: [String: Int]  // marker comment -> line number
    let runtimeLibrary: URL?  // libswiftCore.so of the same toolchain

    static let buildID = "0123456789abcdef0123456789abcdef01234567"

    static let source = """
        @inline(never) func burn(iterations: Int) -> Int { // BURN_START
            var acc = 0
            for i in 0..<iterations { acc = acc &* 31 &+ i }
            return acc
        } // BURN_END

        @inline(__always) func innerWork(_ n: Int) -> Int { // INNER_START
            var acc = 0
            for i in 0..<n { acc = acc &+ (i ^ 0x55) &* 7 }
            return acc
        } // INNER_END

        @inline(never) func outerWork(_ n: Int) -> Int {
            let r = innerWork(n) // CALL_LINE
            return r &+ 1
        }

        @main
        struct App {
            static func main() {
                let n = CommandLine.arguments.count
                print(burn(iterations: n), outerWork(n))
            }
        }
        """

    static let shared: Result<CompiledFixture, FixtureError> = Result { try CompiledFixture.build() }
        .mapError { $0 as? FixtureError ?? FixtureError(message: "\($0)") }

    struct FixtureError: Error, Sendable { var message: String }

    static func build() throws -> CompiledFixture {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("taskprof-symbolizer-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let sourceFile = directory.appendingPathComponent("prog.swift")
        try source.write(to: sourceFile, atomically: true, encoding: .utf8)

        var lines: [String: Int] = [:]
        for (index, line) in source.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if let marker = line.range(of: "// ") {
                lines[String(line[marker.upperBound...])] = index + 1
            }
        }

        let debugBinary = directory.appendingPathComponent("prog_debug")
        let optimizedBinary = directory.appendingPathComponent("prog_opt")
        let common = ["swiftc", "-parse-as-library", "-module-name", "Prog", "-g", sourceFile.path]
        try run(common + ["-Onone", "-o", debugBinary.path])
        try run(common + ["-O", "-Xlinker", "--build-id=0x\(buildID)", "-o", optimizedBinary.path])

        let swiftc = try run(["sh", "-c", "command -v swiftc"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let toolchainRoot = URL(fileURLWithPath: swiftc).resolvingSymlinksInPath()
            .deletingLastPathComponent().deletingLastPathComponent()
        let runtime = toolchainRoot.appendingPathComponent("lib/swift/linux/libswiftCore.so")

        return CompiledFixture(
            directory: directory, debugBinary: debugBinary, optimizedBinary: optimizedBinary,
            debugSymbols: try functionSymbols(debugBinary), optimizedSymbols: try functionSymbols(optimizedBinary),
            sourceLines: lines,
            runtimeLibrary: FileManager.default.fileExists(atPath: runtime.path) ? runtime : nil)
    }

    /// Defined text symbols with sizes, keyed by mangled name.
    static func functionSymbols(_ binary: URL, dynamic: Bool = false) throws -> [String: Symbol] {
        let output = try run(["nm", "-S", "--defined-only"] + (dynamic ? ["-D"] : []) + [binary.path])
        var symbols: [String: Symbol] = [:]
        for line in output.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count == 4, fields[2] == "T" || fields[2] == "t",
                let address = UInt64(fields[0], radix: 16), let size = UInt64(fields[1], radix: 16)
            else { continue }
            symbols[String(fields[3])] = Symbol(address: address, size: size)
        }
        return symbols
    }

    @discardableResult
    static func run(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Read before waiting so a chatty tool cannot fill the pipe and block.
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw FixtureError(
                message: "\(arguments.joined(separator: " ")) failed: "
                    + String(decoding: errorData, as: UTF8.self))
        }
        return String(decoding: data, as: UTF8.self)
    }
}

final class DwarfSymbolizerTests: XCTestCase {
    override class func tearDown() {
        if case .success(let fixture) = CompiledFixture.shared {
            try? FileManager.default.removeItem(at: fixture.directory)
        }
        super.tearDown()
    }

    private func fixture() throws -> CompiledFixture {
        switch CompiledFixture.shared {
        case .success(let fixture): return fixture
        case .failure(let error):
            XCTFail("cannot compile the test program: \(error.message)")
            throw error
        }
    }

    /// PIE executables loaded with bias 0: runtime addresses equal file vaddrs.
    private func module(_ binary: URL) -> LoadedModule {
        LoadedModule(path: binary.path, buildID: "", bias: 0, executableRanges: [0..<0x4000_0000])
    }

    private func basename(_ path: String?) -> String? {
        path.map { URL(fileURLWithPath: $0).lastPathComponent }
    }

    func testFunctionNameFileAndLine() throws {
        let fixture = try fixture()
        let symbolizer = DwarfSymbolizer(modules: [module(fixture.debugBinary)])
        let burn = try XCTUnwrap(fixture.debugSymbols["$s4Prog4burn10iterationsS2i_tF"])
        let frames = symbolizer.symbolize(address: burn.address + burn.size / 2, isReturnAddress: false)
        let frame = try XCTUnwrap(frames.last)
        XCTAssertEqual(frame.shortName, "burn(iterations:)")
        XCTAssertEqual(frame.function, "Prog.burn(iterations: Swift.Int) -> Swift.Int")
        XCTAssertEqual(frame.module, "prog_debug")
        XCTAssertEqual(basename(frame.file), "prog.swift")
        let line = try XCTUnwrap(frame.line)
        XCTAssertTrue((fixture.sourceLines["BURN_START"]!...fixture.sourceLines["BURN_END"]!).contains(line), "line \(line)")
        XCTAssertFalse(frame.inlined)

        // The first instruction belongs to the function's opening line.
        let entry = symbolizer.symbolize(address: burn.address, isReturnAddress: false)
        XCTAssertEqual(entry.last?.shortName, "burn(iterations:)")
        XCTAssertEqual(entry.last?.line, fixture.sourceLines["BURN_START"])

        // A return address is looked up one byte earlier.
        let returning = symbolizer.symbolize(address: burn.address + 1, isReturnAddress: true)
        XCTAssertEqual(returning, entry)
    }

    func testMainAndClosureNames() throws {
        let fixture = try fixture()
        let symbolizer = DwarfSymbolizer(modules: [module(fixture.debugBinary)])
        let main = try XCTUnwrap(fixture.debugSymbols["$s4Prog3AppV4mainyyFZ"])
        let frames = symbolizer.symbolize(address: main.address + 4, isReturnAddress: false)
        XCTAssertEqual(frames.last?.shortName, "App.main()")
        XCTAssertEqual(frames.last?.function, "static Prog.App.main() -> ()")
    }

    func testInlinedFrames() throws {
        let fixture = try fixture()
        let symbolizer = DwarfSymbolizer(modules: [module(fixture.optimizedBinary)])
        let outer = try XCTUnwrap(fixture.optimizedSymbols["$s4Prog9outerWorkyS2iF"])
        let callLine = fixture.sourceLines["CALL_LINE"]
        let innerLines = fixture.sourceLines["INNER_START"]!...fixture.sourceLines["INNER_END"]!
        var sawInlinedCall = false
        var sawInnerLeaf = false
        for address in outer.address..<(outer.address + outer.size) {
            let frames = symbolizer.symbolize(address: address, isReturnAddress: false)
            guard let last = frames.last else { return XCTFail("no frames at \(address)") }
            XCTAssertEqual(last.shortName, "outerWork(_:)")
            XCTAssertFalse(last.inlined)
            XCTAssertTrue(frames.dropLast().allSatisfy(\.inlined))
            if let index = frames.firstIndex(where: { $0.shortName == "innerWork(_:)" }) {
                sawInlinedCall = sawInlinedCall || last.line == callLine
                XCTAssertEqual(frames[index].function, "Prog.innerWork(Swift.Int) -> Swift.Int")
                if index == 0, let line = frames[0].line, innerLines.contains(line) { sawInnerLeaf = true }
            }
        }
        XCTAssertTrue(sawInlinedCall, "no address in outerWork resolved to innerWork inlined at line \(callLine ?? 0)")
        XCTAssertTrue(sawInnerLeaf, "no address resolved to a line inside innerWork")
    }

    func testUnknownAddresses() throws {
        let fixture = try fixture()
        let symbolizer = DwarfSymbolizer(modules: [module(fixture.debugBinary)])
        let outside = symbolizer.symbolize(address: 0x5000_0000, isReturnAddress: false)
        XCTAssertEqual(outside, [SymbolizedFrame(function: "0x50000000", shortName: "0x50000000", module: "?")])
        let unmapped = symbolizer.symbolize(address: 0x3000_0000, isReturnAddress: true)
        XCTAssertEqual(
            unmapped,
            [
                SymbolizedFrame(
                    function: "prog_debug+0x30000000", shortName: "prog_debug+0x30000000",
                    module: "prog_debug")
            ])
    }

    func testMissingOrBadFilesGiveOffsets() throws {
        let missing = LoadedModule(
            path: "/nonexistent/libgone.so", buildID: "", bias: 0x7f00_0000_0000,
            executableRanges: [0x7f00_0000_1000..<0x7f00_0000_9000])
        let notELF = LoadedModule(
            path: "/etc/hostname", buildID: "", bias: 0x1000_0000,
            executableRanges: [0x1000_0000..<0x1001_0000])
        let vdso = LoadedModule(
            path: "[vdso]", buildID: "", bias: 0x2000_0000,
            executableRanges: [0x2000_0000..<0x2000_1000])
        let symbolizer = DwarfSymbolizer(modules: [missing, notELF, vdso])
        XCTAssertEqual(
            symbolizer.symbolize(address: 0x7f00_0000_1234, isReturnAddress: false).map(\.shortName),
            ["libgone.so+0x1234"])
        XCTAssertEqual(
            symbolizer.symbolize(address: 0x1000_0010, isReturnAddress: true).map(\.shortName),
            ["hostname+0x10"])
        XCTAssertEqual(symbolizer.symbolize(address: 0x2000_0020, isReturnAddress: false).map(\.module), ["[vdso]"])
        XCTAssertEqual(DwarfSymbolizer(modules: []).symbolize(address: 1, isReturnAddress: true).map(\.module), ["?"])
    }

    func testSymbolTableOnlyLibrary() throws {
        let fixture = try fixture()
        let runtime = try XCTUnwrap(fixture.runtimeLibrary, "libswiftCore.so not found")
        let symbols = try CompiledFixture.functionSymbols(runtime, dynamic: true)
        let (name, symbol) = try XCTUnwrap(symbols.first { $0.key.hasPrefix("$sSa") && $0.value.size > 8 })
        let bias: UInt64 = 0x7f12_0000_0000
        let library = LoadedModule(path: runtime.path, buildID: "", bias: bias, executableRanges: [bias..<(bias + 0x1000_0000)])
        let symbolizer = DwarfSymbolizer(modules: [module(fixture.debugBinary), library])
        let frame = try XCTUnwrap(symbolizer.symbolize(address: bias + symbol.address + 2, isReturnAddress: false).last)
        XCTAssertEqual(frame.module, "libswiftCore.so")
        XCTAssertEqual(frame.function, SwiftDemangler.names(for: name).full)
        XCTAssertNotEqual(frame.function, name, "Swift runtime symbols should be demangled")
    }

    func testBuildID() throws {
        let fixture = try fixture()
        XCTAssertEqual(readBuildID(path: fixture.optimizedBinary.path), CompiledFixture.buildID)
        XCTAssertEqual(readBuildID(path: "/nonexistent"), "")
        XCTAssertEqual(readBuildID(path: "/etc/hostname"), "")
    }

    /// A realistic profile: thousands of distinct addresses, each seen many times.
    func testPerformance() throws {
        let fixture = try fixture()
        var modules = [module(fixture.optimizedBinary)]
        var addresses: [UInt64] = []
        for symbol in fixture.optimizedSymbols.values where symbol.size > 0 {
            addresses += stride(from: symbol.address, to: symbol.address + symbol.size, by: 3).map { $0 }
        }
        if let runtime = fixture.runtimeLibrary {
            let bias: UInt64 = 0x7f12_0000_0000
            modules.append(
                LoadedModule(
                    path: runtime.path, buildID: "", bias: bias,
                    executableRanges: [bias..<(bias + 0x1000_0000)]))
            let symbols = try CompiledFixture.functionSymbols(runtime, dynamic: true).values
                .sorted { $0.address < $1.address }
            addresses += symbols.prefix(3000).map { bias + $0.address + $0.size / 2 }
        }
        let symbolizer = DwarfSymbolizer(modules: modules)
        let clock = ContinuousClock()
        let cold = clock.measure {
            for address in addresses { _ = symbolizer.symbolize(address: address, isReturnAddress: true) }
        }
        let lookups = 1_000_000
        let warm = clock.measure {
            var frames = 0
            for index in 0..<lookups {
                frames &+= symbolizer.symbolize(address: addresses[index % addresses.count], isReturnAddress: true).count
            }
            XCTAssertGreaterThan(frames, 0)
        }
        print("symbolizer: \(addresses.count) distinct addresses in \(cold), \(lookups) cached lookups in \(warm)")
        XCTAssertLessThan(cold, .seconds(10))
        XCTAssertLessThan(warm, .seconds(10))
    }
}

// MARK: - The vDSO, which has no file

final class VDSOSymbolizerTests: XCTestCase {
    /// This process's vDSO as the agent would report it: the loader's name, its build-id, its
    /// base address as the bias (its segments start at vaddr 0).
    private func vdsoModule(buildID: String) throws -> (LoadedModule, Range<UInt64>) {
        var size = 0
        let image = try XCTUnwrap(tp_vdso_image(&size), "no vDSO in this process")
        let base = UInt64(UInt(bitPattern: image))
        let range = base..<(base + UInt64(size))
        return (LoadedModule(path: "linux-vdso.so.1", buildID: buildID, bias: base, executableRanges: [range]), range)
    }

    private func names(_ module: LoadedModule, _ range: Range<UInt64>) -> Set<String> {
        let symbolizer = DwarfSymbolizer(modules: [module])
        return Set(
            stride(from: range.lowerBound, to: range.upperBound, by: 4).compactMap {
                symbolizer.symbolize(address: $0, isReturnAddress: false).first?.function
            })
    }

    func testFramesInTheVDSOAreNamedWhenItIsThisMachinesVDSO() throws {
        var id = [UInt8](repeating: 0, count: 64)
        let n = tp_vdso_build_id(&id, id.count)
        XCTAssertGreaterThan(n, 0, "the vDSO has a build-id note")
        let hex = id.prefix(max(n, 0)).map { String(format: "%02x", $0) }.joined()
        let (module, range) = try vdsoModule(buildID: hex)
        let named = names(module, range)
        XCTAssertTrue(named.contains { $0.contains("clock_gettime") }, "names in the vDSO: \(named.sorted())")

        // Another kernel's vDSO (a profile converted on another machine) stays unnamed.
        let (other, _) = try vdsoModule(buildID: String(repeating: "ab", count: max(n, 1)))
        let unnamed = names(other, range)
        XCTAssertTrue(unnamed.allSatisfy { $0.hasPrefix("linux-vdso.so.1+0x") }, "\(unnamed.sorted().prefix(5))")
        // And the stand-in file does not stay behind.
        let left = try FileManager.default.contentsOfDirectory(atPath: ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp")
        XCTAssertFalse(left.contains { $0.hasPrefix("taskprof-vdso-\(getpid())-") }, "\(left.filter { $0.hasPrefix("taskprof-vdso") })")
    }
}
