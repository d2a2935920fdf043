import Testing
import TurnoutWire

@Suite struct FrameDecoderTests {
    static let payloads: [[UInt8]] = [
        Array("{\"id\":1}".utf8), [], Array(repeating: 0x41, count: 70_000), Array("{}".utf8),
    ]

    static var stream: [UInt8] { payloads.flatMap { FrameEncoder.frame($0) } }

    private func decodeAll(_ decoder: inout FrameDecoder) throws -> [[UInt8]] {
        var frames: [[UInt8]] = []
        while let frame = try decoder.nextFrame() { frames.append(frame) }
        return frames
    }

    @Test func allAtOnce() throws {
        var decoder = FrameDecoder()
        decoder.append(contentsOf: Self.stream)
        #expect(try decodeAll(&decoder) == Self.payloads)
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test func oneByteAtATime() throws {
        var decoder = FrameDecoder()
        var frames: [[UInt8]] = []
        for byte in Self.stream {
            decoder.append(contentsOf: [byte])
            frames += try decodeAll(&decoder)
        }
        #expect(frames == Self.payloads)
    }

    @Test(arguments: 1...20) func randomSplits(seed: Int) throws {
        var generator = SplitMix(seed: UInt64(seed))
        let stream = Self.stream
        var decoder = FrameDecoder()
        var frames: [[UInt8]] = []
        var index = 0
        while index < stream.count {
            let take = min(stream.count - index, Int(generator.next() % 9000) + 1)
            decoder.append(contentsOf: stream[index..<index + take])
            index += take
            frames += try decodeAll(&decoder)
        }
        #expect(frames == Self.payloads)
    }

    @Test func oversizePrefixFailsBeforeTheBodyArrives() {
        var decoder = FrameDecoder(maxFrameSize: 1024)
        decoder.append(contentsOf: [0xFF, 0xFF, 0xFF, 0xF0])
        #expect(throws: FrameError.frameTooLarge(length: 0xFFFF_FFF0, limit: 1024)) { try decoder.nextFrame() }
        // Only the 4 prefix bytes were ever buffered.
        #expect(decoder.bufferedByteCount == 4)
    }

    @Test func frameExactlyAtTheLimitIsAccepted() throws {
        var decoder = FrameDecoder(maxFrameSize: 16)
        decoder.append(contentsOf: FrameEncoder.frame([UInt8](repeating: 1, count: 16)))
        #expect(try decoder.nextFrame()?.count == 16)
        decoder.append(contentsOf: FrameEncoder.frame([UInt8](repeating: 1, count: 17)))
        #expect(throws: FrameError.self) { try decoder.nextFrame() }
    }

    @Test func partialFrameIsReportedAsBuffered() throws {
        var decoder = FrameDecoder()
        decoder.append(contentsOf: FrameEncoder.frame(Array("{\"a\":1}".utf8)).prefix(6))
        #expect(try decoder.nextFrame() == nil)
        #expect(decoder.bufferedByteCount == 6)
    }
}

/// A small deterministic generator for reproducible random splits.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
