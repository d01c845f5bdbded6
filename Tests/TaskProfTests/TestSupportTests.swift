import Foundation
import TaskProfTestSupport
import XCTest

/// The harness the end-to-end tests stand on: a command that hangs fails its test, and leaves no
/// process behind.
final class TestSupportTests: XCTestCase {
    func testAHangingCommandIsKilledWithItsChildren() throws {
        let marker = try TestSupport.tempDir() + "/child.pid"
        XCTAssertThrowsError(
            try TestSupport.run(["/bin/sh", "-c", "sleep 300 & echo $! > \(marker); wait"], timeout: 1)
        ) { error in
            XCTAssertTrue("\(error)".contains("still ran after 1 s; killed"), "\(error)")
        }
        let child = try XCTUnwrap(Int32(String(contentsOfFile: marker, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        // Killed: gone, or a zombie until whoever adopted it reaps it.
        var gone = false
        for _ in 0..<100 where !gone {
            let stat = (try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8)) ?? ""
            gone = stat.isEmpty || stat.contains(") Z ")
            if !gone { usleep(20_000) }
        }
        XCTAssertTrue(gone, "the child \(child) outlived the timeout")
    }
}
