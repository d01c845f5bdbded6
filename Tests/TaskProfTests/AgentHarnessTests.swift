import Foundation
import XCTest

/// C harnesses that drive pieces of the agent directly, with stubbed collaborators, under
/// AddressSanitizer and UndefinedBehaviorSanitizer: cases a real target rarely produces.
final class AgentHarnessTests: XCTestCase {
    /// Corrupt async context chains (bad pointers, misaligned contexts, resume functions outside
    /// code, cycles, a full frame buffer) leave the physical stack alone and are counted.
    func testAsyncSpliceRejectsCorruptChains() throws {
        let dir = try TestSupport.tempDir()
        let exe = dir + "/async_splice_harness"
        let root = TestSupport.packageRoot
        let build = try TestSupport.run(["/usr/bin/env", "clang", "-std=gnu11", "-O1", "-g", "-Wall", "-Werror",
                                         "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
                                         "-I", root + "/Sources/CTaskProfAgent/include",
                                         root + "/Tests/agent/async_splice_harness.c", "-o", exe])
        XCTAssertEqual(build.status, 0, build.stderr)
        let r = try TestSupport.run([exe])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("ok: 0 failed checks"), r.stdout + r.stderr)
    }
}
