import TurnoutWire

/// A stream connection that speaks length-prefixed frames: what wire servers and clients share.
class FramedConnection: StreamConnection, @unchecked Sendable {
    // @unchecked Sendable: see StreamConnection; `decoder` is used on the loop thread only.
    private(set) var decoder: FrameDecoder

    init(loop: EventLoop, fd: Int32, peer: String, maxFrameSize: Int, connected: Bool) {
        decoder = FrameDecoder(maxFrameSize: maxFrameSize)
        super.init(loop: loop, fd: fd, peer: peer, connected: connected)
    }

    /// A complete frame arrived.
    func frameReceived(_ payload: [UInt8]) {}
    /// The stream cannot be framed any more; the connection closes after this returns.
    func framingFailed(_ error: FrameError) {}

    override func bytesReceived(_ bytes: UnsafeRawBufferPointer) {
        decoder.append(bytes)
        processBufferedFrames()
    }

    override var hasPartialInput: Bool { decoder.bufferedByteCount > 0 }

    /// Hands complete frames to `frameReceived` until the buffer is empty or reading pauses.
    func processBufferedFrames() {
        while !readPaused, !isClosed {
            let frame: [UInt8]?
            do {
                frame = try decoder.nextFrame()
            } catch {
                framingFailed(error)
                closeAfterFlushing(.framingError(error))
                return
            }
            guard let frame else { return }
            frameReceived(frame)
        }
    }
}
