import Foundation
import TaskProfTestSupport
import XCTest

/// C harnesses that drive pieces of the agent directly, with stubbed collaborators, under
/// AddressSanitizer and UndefinedBehaviorSanitizer: cases a real target rarely produces.
final class AgentHarnessTests: XCTestCase {
    /// Corrupt async context chains (bad pointers, misaligned contexts, resume functions outside
    /// code, cycles, a full frame buffer) leave the physical stack alone and are counted.
    func testAsyncSpliceRejectsCorruptChains() throws {
        let out = try runSanitizedHarness("async_splice_harness")
        XCTAssertTrue(out.hasPrefix("ok: 0 failed checks"), out)
    }

    /// The unwind-table builder and the stack walk on hand-assembled .eh_frame and fake stacks:
    /// prologues, epilogues, frameless leaves, rbp as a general register, r14 recovery, signal
    /// frames, PLT stubs, the frame-pointer fallback, hostile stacks and corrupt CFI.
    func testUnwinderOnSyntheticCFI() throws {
        let out = try runSanitizedHarness("unwind_harness")
        XCTAssertTrue(out.hasSuffix("ok: 0 failed checks\n"), out)
    }

    /// Builds Tests/agent/NAME.c under ASan and UBSan (any report fails the run), runs it and
    /// returns what it printed; the harness must exit 0.
    private func runSanitizedHarness(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let exe = try TestSupport.tempDir() + "/" + name
        let root = TestSupport.packageRoot
        let build = try TestSupport.run([
            "/usr/bin/env", "clang", "-std=gnu11", "-O1", "-g", "-Wall", "-Werror",
            "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
            "-I", root + "/Sources/CTaskProfAgent/include", "-I", root + "/Sources/CTaskProfFormat/include",
            root + "/Tests/agent/\(name).c", "-o", exe,
        ])
        XCTAssertEqual(build.status, 0, build.stderr, file: file, line: line)
        let r = try TestSupport.run([exe])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr, file: file, line: line)
        return r.stdout
    }

    /// The agent's walk and libunwind agree on real code (libm, libc, frameless leaves, mixed
    /// frame-pointer and frameless recursion, a program signal handler), sampled by SIGPROF.
    /// Without sanitizers: libunwind reads other frames' stack memory.
    func testUnwinderAgreesWithLibunwind() throws {
        let dir = try TestSupport.tempDir()
        let exe = dir + "/unwind_reference"
        let root = TestSupport.packageRoot
        let src = root + "/Tests/agent/unwind_reference.c"
        let fp = try TestSupport.run([
            "/usr/bin/env", "clang", "-std=gnu11", "-O2", "-g", "-Wall", "-Werror",
            "-fno-omit-frame-pointer", "-DREF_FP_PART", "-c", src, "-o", dir + "/fp.o",
        ])
        XCTAssertEqual(fp.status, 0, fp.stderr)
        let build = try TestSupport.run([
            "/usr/bin/env", "clang", "-std=gnu11", "-O2", "-g", "-Wall", "-Werror",
            "-fomit-frame-pointer", "-rdynamic", src, dir + "/fp.o", "-o", exe,
            "-lunwind", "-lm", "-ldl", "-lpthread", "-lrt", "-Wl,-z,now",
        ])
        XCTAssertEqual(build.status, 0, build.stderr)
        let r = try TestSupport.run([exe, "3"])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("\nok: "), r.stdout + r.stderr)
    }
}
