import CTaskProfFormat
import XCTest
@testable import TaskProfRecord

/// The raw stream is defined once, in tp_raw_format.h: the reader takes its record numbers,
/// offsets and counter names from there. These fail when a record type or a counter is added
/// on the agent's side and not read on the Swift side.
final class RawFormatTests: XCTestCase {
    /// Every record type of tp_raw_format.h reaches a case of the parser: a record of each type
    /// (zero-filled, long enough for any of them) is read, not skipped.
    func testTheReaderHandlesEveryRecordType() throws {
        var header = tp_raw_header()
        withUnsafeMutableBytes(of: &header.magic) { $0.copyBytes(from: RawRecording.headerMagic) }
        header.version = UInt32(TP_RAW_VERSION)
        header.header_size = UInt32(MemoryLayout<tp_raw_header>.size)
        let head = withUnsafeBytes(of: header) { Array($0) }
        func record(_ type: UInt32, size: Int) -> [UInt8] {
            var r = [UInt8](repeating: 0, count: size)
            r.withUnsafeMutableBytes { raw in
                raw.storeBytes(of: UInt16(type), toByteOffset: 0, as: UInt16.self)
                raw.storeBytes(of: UInt32(size), toByteOffset: 4, as: UInt32.self)
            }
            return r
        }
        for type in 1..<TP_REC_COUNT.rawValue {
            let rec = try RawRecording.parse(head + record(type, size: 4096), name: "type \(type)")
            XCTAssertEqual(rec.skippedRecords, 0, "record type \(type) of tp_raw_format.h has no case in RawRecording+Parse.swift")
            XCTAssertEqual(rec.trailingBytes, 0)
        }
        let unknown = try RawRecording.parse(head + record(TP_REC_COUNT.rawValue, size: 8), name: "unknown")
        XCTAssertEqual(unknown.skippedRecords, 1, "a type the reader does not know is skipped and counted")
    }

    func testTheMagicIsTheHeadersEightBytes() {
        XCTAssertEqual(RawRecording.headerMagic, [0x54, 0x50, 0x52, 0x41, 0x57, 0, 0, 1])
    }

    func testEveryCounterHasItsOwnName() {
        let names = RawRecording.counterNames
        XCTAssertEqual(names.count, Int(TP_CTR_COUNT.rawValue))
        XCTAssertFalse(names.contains { $0.hasPrefix("counter.") }, "a counter without a name in tp_counter_name: \(names)")
        XCTAssertEqual(Set(names).count, names.count, "two counters share a name")
    }

    /// A stream written field by field from the C structs reads back: the offsets agree.
    func testAHandWrittenStreamReadsBack() throws {
        var header = tp_raw_header()
        withUnsafeMutableBytes(of: &header.magic) { $0.copyBytes(from: RawRecording.headerMagic) }
        header.version = UInt32(TP_RAW_VERSION)
        header.header_size = UInt32(MemoryLayout<tp_raw_header>.size)
        header.pid = 4242
        header.start_monotonic_ns = 1_000
        header.engine = TP_ENGINE_PERF.rawValue
        header.rate_hz = 999
        var bytes = withUnsafeBytes(of: header) { Array($0) }
        var sample = tp_rec_sample()
        sample.h.type = UInt16(TP_REC_SAMPLE.rawValue)
        sample.h.size = UInt32(MemoryLayout<tp_rec_sample>.size + 16)
        sample.time_ns = 5_000
        sample.task_id = 7
        sample.tid = 99
        sample.nframes = 2
        bytes += withUnsafeBytes(of: sample) { Array($0) }
        bytes += [UInt64(0x1234), UInt64(0x5678)].withUnsafeBytes { Array($0) }
        var end = tp_rec_end()
        end.h.type = UInt16(TP_REC_END.rawValue)
        end.h.size = UInt32(MemoryLayout<tp_rec_end>.size)
        end.time_ns = 9_000
        bytes += withUnsafeBytes(of: end) { Array($0) }
        let rec = try RawRecording.parse(bytes, name: "hand-written")
        XCTAssertEqual(rec.pid, 4242)
        XCTAssertEqual(rec.engine, "perf")
        XCTAssertEqual(rec.samples.count, 1)
        XCTAssertEqual(rec.samples.first?.taskID, 7)
        XCTAssertEqual(rec.samples.first?.tid, 99)
        XCTAssertEqual(Array(rec.frames), [0x1234, 0x5678])
        XCTAssertTrue(rec.complete)
        XCTAssertEqual(rec.endMonotonicNs, 9_000)
    }

    /// A dump and one live task, written from the C structs, read back field by field.
    func testALiveTaskDumpReadsBack() throws {
        var header = tp_raw_header()
        withUnsafeMutableBytes(of: &header.magic) { $0.copyBytes(from: RawRecording.headerMagic) }
        header.version = UInt32(TP_RAW_VERSION)
        header.header_size = UInt32(MemoryLayout<tp_raw_header>.size)
        var bytes = withUnsafeBytes(of: header) { Array($0) }
        var dump = tp_rec_task_dump()
        dump.h.type = UInt16(TP_REC_TASK_DUMP.rawValue)
        dump.h.size = UInt32(MemoryLayout<tp_rec_task_dump>.size)
        dump.time_ns = 7_000
        dump.reason = TP_DUMP_REQUEST.rawValue
        dump.sequence = 42
        dump.tasks = 1
        withUnsafeMutableBytes(of: &dump.note) { $0.copyBytes(from: Array("partial".utf8)) }
        bytes += withUnsafeBytes(of: dump) { Array($0) }
        var task = tp_rec_live_task()
        task.h.type = UInt16(TP_REC_LIVE_TASK.rawValue)
        task.h.size = UInt32(MemoryLayout<tp_rec_live_task>.size + 16)
        task.task_id = 17
        task.parent_id = 3
        task.since_ns = 2_000
        task.waiting_on_id = 5
        task.created_at = (0xAAA, 0xBBB, 0, 0)
        task.tid = 77
        task.state = UInt8(TP_TASK_SUSPENDED.rawValue)
        task.kind = UInt8(TP_KIND_GROUP_CHILD.rawValue)
        task.wait = UInt8(TP_WAIT_TASK.rawValue)
        task.flags = UInt8(TP_LIVE_FLAG_CANCELLED)
        task.nframes = 2
        bytes += withUnsafeBytes(of: task) { Array($0) }
        bytes += [UInt64(0x1111), UInt64(0x2222)].withUnsafeBytes { Array($0) }
        let rec = try RawRecording.parse(bytes, name: "dump")
        XCTAssertEqual(rec.skippedRecords, 0)
        let d = try XCTUnwrap(rec.taskDumps.first)
        XCTAssertEqual([d.timeNs, UInt64(d.reason), UInt64(d.sequence)], [7_000, UInt64(TP_DUMP_REQUEST.rawValue), 42])
        XCTAssertEqual(d.note, "partial")
        let t = try XCTUnwrap(d.tasks.first)
        XCTAssertEqual([t.taskID, t.parentID, t.sinceNs, t.waitingOnID], [17, 3, 2_000, 5])
        XCTAssertEqual(t.createdAt, [0xAAA, 0xBBB, 0, 0])
        XCTAssertEqual(t.tid, 77)
        XCTAssertEqual([t.state, t.kind, t.wait, t.flags], [3, 3, 1, 1])
        XCTAssertEqual(Array(rec.frames[t.frameStart..<(t.frameStart + t.frameCount)]), [0x1111, 0x2222])
    }
}
