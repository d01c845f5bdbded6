// A stalled event loop. A SwiftNIO echo server on 127.0.0.1 runs on one event loop thread; its
// channel handler answers most requests at once but calls `slowHandler(_:)` — ~30 ms of
// synchronous CPU — for every fifth one, right on the event loop. While it runs, the loop serves
// nobody: every other connection's reads, writes and timers wait, so fast requests that happen to
// queue behind a slow one take ~30 ms too. The cure is to hand slow work to another thread or
// task (e.g. `NIOThreadPool`, or a Swift task, completing a promise back on the loop).
//
// The program drives its own bounded load over loopback: 5 connections × 10 requests (16-byte
// frames, one at a time per connection; 10 of the 50 are slow), each request with a 1 s deadline,
// then it shuts the server and both event loop groups down and exits 0 (1 if a request failed or
// missed its deadline). It prints how many fast requests took over 20 ms. Whole run ≈ 0.4 s.
//
//   taskprof record -o n.taskprof --json n.json -- .build/release/NIOStall
//
// The report: the event loop thread's samples are dominated by `slowHandler(_:)` under
// `EchoHandler.channelRead`; each of the 10 slow requests holds the loop for ~30 ms.
import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

let frameSize = 16
let connections = 5
let requestsPerConnection = 10
let deadline = TimeAmount.seconds(1)

/// ~30 ms of CPU on the calling thread (the event loop): "render the expensive response".
@inline(never)
func slowHandler(_ seed: UInt8) -> UInt64 {
    let clock = ContinuousClock()
    let end = clock.now.advanced(by: .milliseconds(30))
    var x = UInt64(seed) | 0x100
    repeat {
        for _ in 0..<20_000 { x ^= x << 13; x ^= x >> 7; x ^= x << 17 }
    } while clock.now < end
    return x
}

/// Splits the byte stream into fixed-size request frames.
struct FrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = buffer.readSlice(length: frameSize) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }
}

/// Echoes each frame; a frame starting with "S" is slow.
final class EchoHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var frame = Self.unwrapInboundIn(data)
        if frame.getInteger(at: frame.readerIndex, as: UInt8.self) == UInt8(ascii: "S") {
            let x = slowHandler(frame.getInteger(at: frame.readerIndex + 1, as: UInt8.self) ?? 0)
            frame.setInteger(UInt8(truncatingIfNeeded: x) | 1, at: frame.readerIndex + frameSize - 1)
        }
        context.writeAndFlush(Self.wrapOutboundOut(frame), promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}

struct ClientError: Error, CustomStringConvertible {
    var description: String
}

/// One client connection: sends its requests one at a time and waits for each echo. A request
/// not answered within `deadline` closes the connection, which ends the run with an error.
/// Returns the latency of each fast request.
func runClient(_ index: Int, port: Int, group: EventLoopGroup) async throws -> [Duration] {
    let channel = try await ClientBootstrap(group: group)
        .connectTimeout(deadline)
        .connect(host: "127.0.0.1", port: port) { channel in
            channel.eventLoop.makeCompletedFuture {
                try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
    let clock = ContinuousClock()
    return try await channel.executeThenClose { inbound, outbound in
        var responses = inbound.makeAsyncIterator()
        var fastLatencies: [Duration] = []
        for r in 0..<requestsPerConnection {
            let slow = (index * requestsPerConnection + r) % 5 == 0
            var request = ByteBuffer()
            request.writeInteger(slow ? UInt8(ascii: "S") : UInt8(ascii: "F"))
            request.writeInteger(UInt8(truncatingIfNeeded: index * 31 + r))
            request.writeRepeatingByte(UInt8(ascii: "."), count: frameSize - 2)
            let timer = channel.channel.eventLoop.scheduleTask(in: deadline) { channel.channel.close(promise: nil) }
            let sent = clock.now
            try await outbound.write(request)
            var received = 0
            while received < frameSize {
                guard let chunk = try await responses.next() else {
                    throw ClientError(description: "connection \(index): no answer to request \(r) within the deadline")
                }
                received += chunk.readableBytes
            }
            timer.cancel()
            if !slow { fastLatencies.append(clock.now - sent) }
        }
        return fastLatencies
    }
}

let serverGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let clientGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
var failed = false
do {
    let server = try await ServerBootstrap(group: serverGroup)
        .serverChannelOption(.backlog, value: 64)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .childChannelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder()))
                try channel.pipeline.syncOperations.addHandler(EchoHandler())
            }
        }
        .bind(host: "127.0.0.1", port: 0).get()
    guard let port = server.localAddress?.port else { throw ClientError(description: "no local port") }

    let clock = ContinuousClock()
    let start = clock.now
    let latencies = try await withThrowingTaskGroup(of: [Duration].self) { group in
        for c in 0..<connections {
            group.addTask(name: "client-\(c)") { try await runClient(c, port: port, group: clientGroup) }
        }
        var all: [Duration] = []
        for try await l in group { all += l }
        return all
    }
    let elapsed = clock.now - start
    let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
    let stalled = latencies.filter { $0 > .milliseconds(20) }.count
    print("NIOStall: \(connections * requestsPerConnection) requests answered in \(Int(ms)) ms; \(stalled) of \(latencies.count) fast requests took over 20 ms")
    try await server.close().get()
} catch {
    print("NIOStall: \(error)")
    failed = true
}
try await clientGroup.shutdownGracefully()
try await serverGroup.shutdownGracefully()
if failed { exit(1) }
