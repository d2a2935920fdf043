/// Writes frames.
public enum FrameEncoder {
    /// Starts a frame in `buffer`, returning the index to pass to `finishFrame`.
    public static func beginFrame(in buffer: inout [UInt8]) -> Int {
        let start = buffer.count
        buffer.append(contentsOf: [0, 0, 0, 0])
        return start
    }

    /// Fills in the length prefix of the frame begun at `start`.
    public static func finishFrame(in buffer: inout [UInt8], startingAt start: Int) {
        let length = UInt32(truncatingIfNeeded: buffer.count - start - 4)
        buffer[start] = UInt8(truncatingIfNeeded: length >> 24)
        buffer[start + 1] = UInt8(truncatingIfNeeded: length >> 16)
        buffer[start + 2] = UInt8(truncatingIfNeeded: length >> 8)
        buffer[start + 3] = UInt8(truncatingIfNeeded: length)
    }

    /// A whole frame around `payload`.
    public static func frame<C: Collection>(_ payload: C) -> [UInt8] where C.Element == UInt8 {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(payload.count + 4)
        let start = beginFrame(in: &buffer)
        buffer.append(contentsOf: payload)
        finishFrame(in: &buffer, startingAt: start)
        return buffer
    }
}
