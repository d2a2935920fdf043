/// Splits a byte stream into frames: a 4-byte big-endian length, then that many bytes.
///
/// A pure value type that knows nothing of sockets: feed it whatever bytes arrived and ask for
/// frames until it says it needs more. The length prefix is checked against the limit as soon
/// as its 4 bytes arrive, so a hostile prefix never makes us allocate the size it claims.
public struct FrameDecoder: Sendable {
    public let maxFrameSize: Int
    private var buffer: [UInt8] = []
    private var readIndex = 0

    public init(maxFrameSize: Int = WireLimits.maxFrameSize) {
        self.maxFrameSize = maxFrameSize
    }

    /// Bytes received but not yet returned as a frame; non-zero means a frame is partly read.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        compactIfUseful()
        buffer.append(contentsOf: bytes)
    }

    public mutating func append<S: Sequence>(contentsOf bytes: S) where S.Element == UInt8 {
        compactIfUseful()
        buffer.append(contentsOf: bytes)
    }

    /// The next complete frame's payload, `nil` if more bytes are needed.
    /// - Throws: `FrameError.frameTooLarge` when a length prefix exceeds `maxFrameSize`;
    ///   the stream cannot be resynchronised after that, so the connection must close.
    public mutating func nextFrame() throws(FrameError) -> [UInt8]? {
        let available = buffer.count - readIndex
        guard available >= 4 else { return nil }
        let length = Int(buffer[readIndex]) << 24 | Int(buffer[readIndex + 1]) << 16
            | Int(buffer[readIndex + 2]) << 8 | Int(buffer[readIndex + 3])
        guard length <= maxFrameSize else {
            throw FrameError.frameTooLarge(length: length, limit: maxFrameSize)
        }
        guard available - 4 >= length else { return nil }
        let start = readIndex + 4
        let payload = Array(buffer[start..<start + length])
        readIndex = start + length
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 1 << 16)
            readIndex = 0
        }
        return payload
    }

    private mutating func compactIfUseful() {
        if readIndex > 0, readIndex >= buffer.count / 2 {
            buffer.removeFirst(readIndex)
            readIndex = 0
        }
    }
}
