import Synchronization
import TurnoutTelemetry
import TurnoutWire

/// One client connection: sends requests, matches responses to callers by id, in any order.
final class ClientConnection: FramedConnection, @unchecked Sendable {
    // @unchecked Sendable: see FramedConnection; `calls` is behind its own Mutex.
    typealias Completion = CheckedContinuation<Result<ResponseEnvelope, RPCError>, Never>

    private struct Call {
        let continuation: Completion
        let deadline: UInt64?
        let method: String
    }

    private struct Calls {
        var waiting: [UInt64: Call] = [:]
        /// Set once the connection is gone; later calls fail at once instead of waiting forever.
        var failure: RPCError?
    }

    private let calls = Mutex(Calls())
    private let nextID = Atomic<UInt64>(1)
    let outstanding = Atomic<Int>(0)
    let maxFrameSize: Int
    private let logger: Logger
    /// Called once when the connection closes, with whether calls were waiting on it.
    private let onClose: @Sendable (ClientConnection, CloseReason, Bool) -> Void

    init(loop: EventLoop, fd: Int32, peer: String, maxFrameSize: Int, logger: Logger, onClose: @escaping @Sendable (ClientConnection, CloseReason, Bool) -> Void) {
        self.maxFrameSize = maxFrameSize
        self.logger = logger
        self.onClose = onClose
        super.init(loop: loop, fd: fd, peer: peer, maxFrameSize: maxFrameSize, connected: false)
    }

    var isUsable: Bool { calls.withLock { $0.failure == nil } }

    /// Sends one request and waits for its response, a connection failure, the deadline or cancellation.
    func call(method: String, body: [UInt8], metadata: [String: String], deadline: Deadline?) async -> Result<ResponseEnvelope, RPCError> {
        let id = nextID.add(1, ordering: .relaxed).oldValue
        let envelope = RequestEnvelope(
            id: id, method: method, deadlineMilliseconds: deadline.map { Double($0.remainingMilliseconds) },
            metadata: metadata, body: body)
        var frame: [UInt8] = []
        envelope.encodeFrame(into: &frame)
        guard frame.count - 4 <= maxFrameSize else {
            return .failure(RPCError(.resourceExhausted, "request of \(frame.count - 4) bytes exceeds the frame limit of \(maxFrameSize) bytes"))
        }
        outstanding.add(1, ordering: .relaxed)
        defer { outstanding.subtract(1, ordering: .relaxed) }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: Completion) in
                let failure = calls.withLock { state -> RPCError? in
                    if let failure = state.failure { return failure }
                    state.waiting[id] = Call(continuation: continuation, deadline: deadline?.uptimeNanoseconds, method: method)
                    return nil
                }
                if let failure {
                    continuation.resume(returning: .failure(failure))
                    return
                }
                // A task cancelled before this point ran `onCancel` with nothing registered to
                // complete; without this check its call would wait out the whole deadline.
                if Task.isCancelled {
                    complete(id, with: .failure(RPCError(.cancelled, "\(method) was cancelled by the caller")))
                    return
                }
                send(frame)
            }
        } onCancel: {
            complete(id, with: .failure(RPCError(.cancelled, "\(method) was cancelled by the caller")))
        }
    }

    private func complete(_ id: UInt64, with result: Result<ResponseEnvelope, RPCError>) {
        let call = calls.withLock { $0.waiting.removeValue(forKey: id) }
        call?.continuation.resume(returning: result)
    }

    /// Fails calls whose deadline has passed (loop thread, from the client's sweep).
    func expireDeadlines(now: UInt64) {
        let expired = calls.withLock { state -> [(UInt64, Call)] in
            let due = state.waiting.filter { $0.value.deadline.map { $0 <= now } ?? false }
            for (id, _) in due { state.waiting[id] = nil }
            return Array(due)
        }
        for (_, call) in expired {
            call.continuation.resume(returning: .failure(RPCError(.deadlineExceeded, "deadline passed waiting for \(call.method) from \(peer)")))
        }
    }

    override func frameReceived(_ payload: [UInt8]) {
        let response: ResponseEnvelope
        do {
            response = try ResponseEnvelope.parse(payload)
        } catch {
            logger.error("malformed response; closing connection", ["peer": .string(peer), "error": .string(error.message)])
            closeAfterFlushing(.protocolViolation(error.message))
            fail(RPCError(.unavailable, "malformed response from \(peer): \(error.message)"))
            return
        }
        guard response.id != 0 else {
            logger.warning("server could not attribute a request", ["peer": .string(peer), "code": .string(response.code.rawValue), "message": .string(response.message)])
            return
        }
        complete(response.id, with: .success(response))
    }

    override func framingFailed(_ error: FrameError) {
        fail(RPCError(.unavailable, "response from \(peer) could not be framed: \(error)"))
    }

    override func connectionClosed(_ reason: CloseReason) {
        let hadCalls = calls.withLock { !$0.waiting.isEmpty }
        fail(RPCError(.unavailable, "connection to \(peer) failed: \(reason)"))
        onClose(self, reason, hadCalls)
    }

    /// Fails every waiting call and every later one.
    private func fail(_ error: RPCError) {
        let waiting = calls.withLock { state -> [Call] in
            if state.failure == nil { state.failure = error }
            let all = Array(state.waiting.values)
            state.waiting.removeAll()
            return all
        }
        for call in waiting {
            call.continuation.resume(returning: .failure(error))
        }
    }
}
