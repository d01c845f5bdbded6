import Foundation
import TaskProfTestSupport
import XCTest

@testable import TaskProfAnalysis
@testable import TaskProfExport
@testable import TaskProfModel

/// Issue 18: pprof's locations are code addresses. A profile keeps its samples and blocking calls
/// by address stack beside its symbolized stacks; the export gives one location per address.
final class AddressStacksTests: XCTestCase {
    /// `work` inlined into `outer` at two addresses (two lines), one logical frame `caller` above
    /// them, in two tasks; and a blocking call.
    static func profile() -> Profile {
        var p = Fixtures.profile(
            [(task: 1, stack: ["main", "outer", "work"], count: 5), (task: 2, stack: ["main", "outer", "work"], count: 2)],
            taskNames: [1: "a", 2: "b"], inlined: ["work"])
        p.modules = [LoadedModule(path: "/bin/bench", buildID: "b1", bias: 0x1000, executableRanges: [0x2000..<0x9000])]
        p.frames.append(SymbolizedFrame(function: "Bench.caller", shortName: "caller", module: "bench", isAsync: true))
        let caller = Int32(p.frames.count - 1)
        p.stacks.append([0, caller, 1, 2])
        p.samples.append(SampleGroup(taskID: 1, thread: 0, stack: 2, count: 3))
        p.blocking = BlockingSummary(
            thresholdNs: 1_000_000,
            sites: [
                BlockingSite(
                    primitive: "usleep", function: "outer", file: nil, line: nil, count: 4, totalNs: 40_000_000, maxNs: 10_000_000,
                    taskIDs: [1], threads: [10], stacks: [StackWeight(stack: 0, count: 4, totalNs: 40_000_000)], advice: "")
            ])
        p.addressStacks = AddressStacks(
            locations: [
                .init(address: 0x2100, frames: [0]), .init(address: 0x2200, frames: [1, 2]), .init(address: 0x2204, frames: [1, 2]),
                .init(address: 0x2300, frames: [caller]),
            ],
            stacks: [[0, 1], [0, 2], [0, 3, 1]],
            samples: [
                .init(taskID: 1, thread: 0, stack: 0, count: 4), .init(taskID: 1, thread: 0, stack: 1, count: 1),
                .init(taskID: 2, thread: 0, stack: 1, count: 2), .init(taskID: 1, thread: 0, stack: 2, count: 3),
            ],
            blocking: [.init(site: 0, stack: 0, count: 3, totalNs: 30_000_000), .init(site: 0, stack: 1, count: 1, totalNs: 10_000_000)])
        return p
    }

    func testOneLocationPerAddressWithItsInlinedLines() throws {
        let p = Self.profile()
        let m = PprofRenderer(p).message()
        XCTAssertEqual(m.location.map(\.address).sorted(), [0x2100, 0x2200, 0x2204, 0x2300])
        XCTAssertEqual(m.sample.map { $0.value[0] }.reduce(0, +), Int64(p.sampleCount))
        let byAddress = Dictionary(uniqueKeysWithValues: m.location.map { ($0.address, $0) })
        let names = { (l: Perftools_Profiles_Location) in
            l.line.map { line in m.stringTable[Int(m.function.first { $0.id == line.functionID }!.name)] }
        }
        XCTAssertEqual(names(byAddress[0x2204]!), ["work", "outer"], "the inlined function first")
        // The module's mapping holds every address, with its file offset.
        let mapping = try XCTUnwrap(m.mapping.first)
        XCTAssertEqual(mapping.memoryStart, 0x2000)
        XCTAssertEqual(mapping.memoryLimit, 0x9000)
        XCTAssertEqual(mapping.fileOffset, 0x1000)
        for l in m.location { XCTAssertTrue((mapping.memoryStart..<mapping.memoryLimit).contains(l.address)) }
        // Samples: leaf first.
        let leaf = m.sample.map { s in m.location.first { $0.id == s.locationID[0] }!.address }
        XCTAssertEqual(leaf, [0x2200, 0x2204, 0x2204, 0x2200])
    }

    func testPhysicalViewAndTaskScopeApplyToAddressStacks() throws {
        let p = Self.profile()
        let physical = PprofRenderer(p.viewing(.physical)).message()
        XCTAssertFalse(physical.location.contains { $0.address == 0x2300 }, "the logical frame's location is left out")
        XCTAssertEqual(physical.sample.map(\.locationID.count), [2, 2, 2, 2])
        let logical = PprofRenderer(p.viewing(.logical)).message()
        XCTAssertEqual(logical.sample.map(\.locationID.count), [2, 2, 2, 3])
        let taskB = PprofRenderer(p.restricted(to: .taskName("b"))).message()
        XCTAssertEqual(taskB.sample.map { $0.value[0] }, [2])
    }

    func testBlockingCallsByAddress() throws {
        let m = PprofRenderer(Self.profile(), kind: .blocking).message()
        XCTAssertEqual(m.sample.map(\.value), [[3, 30_000_000], [1, 10_000_000]])
        XCTAssertEqual(m.location.map(\.address).sorted(), [0x2100, 0x2200, 0x2204])
    }

    /// Without address stacks (an older profile, or several processes merged): one location per
    /// frame group, no addresses, the same samples.
    func testWithoutAddressStacksLocationsHaveNoAddress() throws {
        var p = Self.profile()
        p.addressStacks = nil
        let m = PprofRenderer(p).message()
        XCTAssertTrue(m.location.allSatisfy { $0.address == 0 })
        XCTAssertEqual(m.sample.map { $0.value[0] }.reduce(0, +), Int64(p.sampleCount))
    }

    func testAddressStacksRoundTripThroughTheFile() throws {
        let p = Self.profile()
        let back = try ProfileFile.decode(ProfileFile.encode(p))
        XCTAssertEqual(back.addressStacks, p.addressStacks)
    }

    /// A reference out of its table is a corrupt profile, named, not a crash in the export.
    func testAnAddressStackThatNamesNoLocationIsCorrupt() throws {
        var p = Self.profile()
        p.addressStacks!.stacks[0] = [0, 7]
        XCTAssertThrowsError(try ProfileFile.decode(ProfileFile.encode(p))) { error in
            XCTAssertTrue("\(error)".contains("an address stack refers to location 7 of 4"), "\(error)")
        }
        p = Self.profile()
        p.addressStacks!.blocking[0].site = 3
        XCTAssertThrowsError(try ProfileFile.decode(ProfileFile.encode(p))) { error in
            XCTAssertTrue("\(error)".contains("site 3 of 1"), "\(error)")
        }
    }
}
