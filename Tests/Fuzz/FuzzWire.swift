// libFuzzer entry point for the frame decoder and the envelope parsers.
// Built by scripts/fuzz.sh with Shared/TurnoutWire's sources, over TurnoutJSON built first; never part of the package.
// Any crash, trap or sanitizer report is a bug: network input must never take a server down.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWire(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))

    // 1. The bytes as one frame payload, through both envelope parsers and back.
    if let request = try? RequestEnvelope.parse(bytes) {
        var frame: [UInt8] = []
        request.encodeFrame(into: &frame)
        // What we encode we must parse back to the same value.
        guard let again = try? RequestEnvelope.parse(Array(frame.dropFirst(4))), again == request else {
            fatalError("request did not survive a round trip")
        }
    }
    if let response = try? ResponseEnvelope.parse(bytes) {
        var frame: [UInt8] = []
        response.encodeFrame(into: &frame)
        guard let again = try? ResponseEnvelope.parse(Array(frame.dropFirst(4))), again == response else {
            fatalError("response did not survive a round trip")
        }
    }

    // 2. The bytes as a stream, split at a point chosen by the first byte, through the decoder.
    var decoder = FrameDecoder(maxFrameSize: 1 << 16)
    let split = Int(bytes[0]) % (bytes.count + 1)
    decoder.append(contentsOf: bytes[0..<split])
    var frames = 0
    do {
        while let frame = try decoder.nextFrame() {
            frames += 1
            _ = try? RequestEnvelope.parse(frame)
        }
        decoder.append(contentsOf: bytes[split...])
        while let frame = try decoder.nextFrame() {
            frames += 1
            _ = try? RequestEnvelope.parse(frame)
        }
    } catch {
        // An oversize prefix is an expected outcome, not a bug.
    }
    return 0
}
