import CTurnoutSystem
import Glibc
import Synchronization
import TurnoutWire

/// A non-blocking TCP connection on an event loop: the part every protocol shares.
///
/// Reading and closing happen on the owning loop's thread; subclasses parse what arrives
/// (wire frames, HTTP requests). Writing may happen on any thread: a finished handler
/// writes its response straight to the socket (one less thread hop than posting it to the
/// loop), and only what the kernel does not take is left for the loop to flush when the
/// socket becomes writable.
class StreamConnection: Selectable, @unchecked Sendable {
    // @unchecked Sendable: stored properties without a lock are touched only on `loop`'s
    // thread; everything writers on other threads touch lives in `output`.
    let loop: EventLoop
    let fd: Int32
    let peer: String
    /// Monotonic time of the last bytes read, for idle and read timeouts.
    private(set) var lastReadNanos: UInt64
    /// Set while this connection must not be read (backpressure or not yet connected).
    var readPaused = false
    private var watchedEvents: UInt32 = 0

    struct Output {
        var buffer: [UInt8] = []
        var offset = 0
        var connected: Bool
        var waitingWritable = false
        var closed = false
        var closeAfterFlush = false
    }

    /// Only through `withOutput` and `send`, which keep `overflow`'s promise.
    private let output: Mutex<Output>
    /// Frames from senders that found `output` held, for its holder to write with its own.
    private let overflow = Mutex<[UInt8]>([])

    init(loop: EventLoop, fd: Int32, peer: String, connected: Bool) {
        self.loop = loop
        self.fd = fd
        self.peer = peer
        self.lastReadNanos = Deadline.nowNanos()
        self.output = Mutex(Output(connected: connected))
    }

    // MARK: Hooks for subclasses (loop thread).

    /// Bytes arrived; parse what can be parsed unless reading is paused.
    func bytesReceived(_ bytes: UnsafeRawBufferPointer) {}
    /// True while part of a message has arrived and the rest has not.
    var hasPartialInput: Bool { false }
    /// True while requests read from this connection are still being answered.
    var hasPendingWork: Bool { false }
    /// Set when the peer shut down its sending side: nothing more to read, answers still owed.
    private(set) var peerFinishedSending = false
    /// The connection closed, for whatever reason; called once.
    func connectionClosed(_ reason: CloseReason) {}
    /// A non-blocking connect finished successfully.
    func connectSucceeded() {}

    // MARK: Registration and interest (loop thread).

    func register() throws(TransportError) {
        watchedEvents = desiredEvents()
        try loop.register(fd, events: watchedEvents, handler: self)
    }

    /// Re-computes which readiness events we need and tells epoll if that changed.
    func updateInterest() {
        let (closed, desired) = withOutput { state in (state.closed, desiredEvents(state)) }
        guard !closed, desired != watchedEvents else { return }
        watchedEvents = desired
        loop.modify(fd, events: desired)
    }

    private func desiredEvents() -> UInt32 {
        withOutput { desiredEvents($0) }
    }

    private func desiredEvents(_ state: Output) -> UInt32 {
        if !state.connected { return EPOLLOUT.rawValue }
        // After the peer's half-close, read-side events would fire forever: watch only for writability.
        var events: UInt32 = peerFinishedSending ? 0 : EPOLLRDHUP.rawValue
        if !readPaused { events |= EPOLLIN.rawValue }
        if state.waitingWritable { events |= EPOLLOUT.rawValue }
        return events
    }

    // MARK: Events (loop thread).

    func handleEvents(_ events: UInt32) {
        let connected = withOutput { $0.connected }
        if !connected {
            finishConnect()
            return
        }
        if events & (EPOLLIN.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue | EPOLLRDHUP.rawValue) != 0, !readPaused {
            readAvailable()
        } else if events & (EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0, readPaused {
            // Not reading, but the peer is gone for good: nothing more can be delivered.
            close(.peerClosed)
            return
        }
        if events & EPOLLOUT.rawValue != 0 {
            flushFromLoop()
        }
    }

    private func finishConnect() {
        let code = Socket.pendingError(fd)
        guard code == 0 else {
            close(.connectFailed(errno: code))
            return
        }
        // Connected to itself: nobody listens there, as far as any caller is concerned.
        guard !Socket.isConnectedToItself(fd) else {
            close(.connectFailed(errno: ECONNREFUSED))
            return
        }
        withOutput { $0.connected = true }
        connectSucceeded()
        flushFromLoop()
    }

    private func readAvailable() {
        let scratch = loop.readScratch
        for _ in 0..<16 {
            let count = read(fd, scratch.baseAddress, scratch.count)
            if count > 0 {
                lastReadNanos = Deadline.nowNanos()
                bytesReceived(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: scratch[0..<count])))
                if isClosed || readPaused { return }
                if count < scratch.count { return }
                continue
            }
            if count == 0 {
                if !hasPartialInput, hasPendingWork {
                    // A half-close (shutdown(SHUT_WR)) still expects its answers: stop reading, finish, then close.
                    peerFinishedSending = true
                    readPaused = true
                    updateInterest()
                    return
                }
                close(hasPartialInput ? .eofInsideFrame : .peerClosed)
                return
            }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { return }
            close(.readFailed(errno: errno))
            return
        }
    }

    /// Counts as activity for the idle timeout, e.g. when a long response ends.
    func markActive() {
        lastReadNanos = Deadline.nowNanos()
    }

    var isClosed: Bool { withOutput { $0.closed } }

    /// Closed, or closing once its output drains: no new input should be processed.
    var isClosing: Bool { withOutput { $0.closed || $0.closeAfterFlush } }

    // MARK: Writing (any thread).

    /// Runs `body` under `output`'s lock, then writes any frames senders left in `overflow`
    /// meanwhile: a sender that finds the lock held relies on its holder for that (see `send`).
    @discardableResult
    func withOutput<Result: Sendable>(_ body: (inout Output) -> Result) -> Result {
        let result = output.withLock { body(&$0) }
        if overflow.withLock({ !$0.isEmpty }) { send([]) }
        return result
    }

    /// Queues `bytes` (whole frames) and writes as much as the socket takes right away.
    ///
    /// The write happens under `output`'s lock. A sender that finds it held (another handler
    /// answering on the same connection, typically pipelined calls) does not wait for that
    /// write: it leaves its frames in `overflow`, and whoever holds the lock writes them with
    /// its own, after writing and again after letting go. So concurrent answers share one
    /// syscall instead of queueing behind one another's. Frames stay whole, and each sender's
    /// stay in the order it sent them.
    func send(_ bytes: [UInt8]) {
        // Frames not yet queued anywhere; empty once they are in `output` or `overflow`.
        var frames = bytes
        while true {
            var needsLoop = false
            let held = output.withLockIfAvailable { state -> Bool in
                let waiting = overflow.withLock { queued -> [UInt8] in
                    defer { queued.removeAll(keepingCapacity: true) }
                    return queued
                }
                guard !state.closed else { return true }
                // Frames left earlier go first: a sender's frames keep their order (an HTTP
                // head, its chunks and the last chunk must), as its earlier ones are either
                // written already or waiting in `overflow`.
                if state.offset == state.buffer.count {
                    state.buffer = waiting.isEmpty ? frames : waiting + frames
                    state.offset = 0
                } else {
                    state.buffer.append(contentsOf: waiting)
                    state.buffer.append(contentsOf: frames)
                }
                guard state.connected, !state.waitingWritable else { return true }
                needsLoop = !flush(&state)
                return true
            } ?? false
            if needsLoop { loop.execute { [self] in afterBlockedWrite() } }
            if !held {
                // Once ours are queued, a failed attempt means a holder that will see them:
                // it either took the lock after they were queued and drains them inside, or it
                // checks `overflow` after letting go, as below.
                guard !frames.isEmpty else { return }
                overflow.withLock { $0.append(contentsOf: frames) }
                frames = []
                continue
            }
            frames = []
            guard overflow.withLock({ !$0.isEmpty }) else { return }
        }
    }

    /// Writes buffered bytes; returns false when the loop must take over (socket full or broken).
    private func flush(_ state: inout Output) -> Bool {
        guard let written = Socket.writeAvailable(fd, state.buffer, from: state.offset) else {
            state.buffer = []
            state.offset = 0
            state.closeAfterFlush = true
            return false
        }
        state.offset += written
        if state.offset == state.buffer.count {
            state.buffer.removeAll(keepingCapacity: state.buffer.capacity <= 1 << 16)
            state.offset = 0
            return !state.closeAfterFlush
        }
        state.waitingWritable = true
        return false
    }

    /// Whether nothing is left to write: the buffer drained and no frames waiting in
    /// `overflow` (`output`'s lock held; the lock order is output, then overflow).
    private func drained(_ state: Output) -> Bool {
        state.offset == state.buffer.count && overflow.withLock { $0.isEmpty }
    }

    private func afterBlockedWrite() {
        let shouldClose = withOutput { state in
            state.closeAfterFlush && drained(state)
        }
        if shouldClose {
            close(.closedAfterFlush)
        } else {
            updateInterest()
        }
    }

    private func flushFromLoop() {
        let shouldClose = withOutput { state -> Bool in
            state.waitingWritable = false
            if state.offset < state.buffer.count, !flush(&state) {
                return state.closeAfterFlush && drained(state)
            }
            // Frames still in `overflow` are written when this lock is let go; the close
            // follows their write.
            return state.closeAfterFlush && drained(state)
        }
        if shouldClose {
            close(.closedAfterFlush)
        } else {
            updateInterest()
        }
    }

    // MARK: Closing (loop thread).

    /// Closes once everything queued has been written (used after a fatal error response).
    func closeAfterFlushing(_ reason: CloseReason) {
        let flushed = withOutput { state -> Bool in
            state.closeAfterFlush = true
            return drained(state)
        }
        if flushed {
            close(reason)
        } else {
            readPaused = true
            updateInterest()
        }
    }

    func close(_ reason: CloseReason) {
        let wasOpen = withOutput { state -> Bool in
            guard !state.closed else { return false }
            state.closed = true
            state.buffer = []
            state.offset = 0
            return true
        }
        guard wasOpen else { return }
        // Writers check `closed` under the lock before touching `fd`, so closing it now is safe.
        loop.deregister(fd)
        Glibc.close(fd)
        connectionClosed(reason)
    }
}

/// Why a connection closed, for logs and for failing calls with a useful message.
enum CloseReason: Sendable, CustomStringConvertible {
    case peerClosed
    case eofInsideFrame
    case readFailed(errno: Int32)
    case connectFailed(errno: Int32)
    case framingError(FrameError)
    case malformedRequest(String)
    case readTimeout
    case idleTimeout
    case closedAfterFlush
    case protocolViolation(String)
    case shutdown

    var description: String {
        switch self {
        case .peerClosed: "peer closed the connection"
        case .eofInsideFrame: "peer closed the connection in the middle of a frame or request"
        case let .readFailed(code): "read failed: \(String(cString: strerror(code)))"
        case let .connectFailed(code): "connect failed: \(String(cString: strerror(code)))"
        case let .framingError(error): error.description
        case let .malformedRequest(detail): "malformed request: \(detail)"
        case .readTimeout: "read timeout: a frame started but did not finish in time"
        case .idleTimeout: "idle timeout"
        case .closedAfterFlush: "closed after the final response"
        case let .protocolViolation(detail): "protocol violation: \(detail)"
        case .shutdown: "shutting down"
        }
    }
}
