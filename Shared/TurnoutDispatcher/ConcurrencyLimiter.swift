import Synchronization
import TurnoutWire

/// Caps the calls in flight to one upstream; callers past the cap wait in line, until a deadline.
///
/// Upstream APIs throttle per key and self-hosted models slow down for everyone when
/// overloaded, so the dispatcher queues rather than piling on.
public final class ConcurrencyLimiter: Sendable {
    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Bool, Never>
    }

    private struct State {
        var inUse = 0
        var waiters: [Waiter] = []
        var nextID: UInt64 = 0
    }

    public let limit: Int
    private let state = Mutex(State())

    public init(limit: Int) {
        self.limit = max(1, limit)
    }

    public var inUse: Int { state.withLock { $0.inUse } }

    /// Takes a slot, waiting until `deadline` at most; false means the deadline passed first.
    public func acquire(until deadline: Deadline) async -> Bool {
        if state.withLock({ state -> Bool in
            guard state.inUse < limit else { return false }
            state.inUse += 1
            return true
        }) {
            return true
        }
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        let timer = Task { [self] in
            try? await Task.sleep(for: .nanoseconds(deadline.remainingNanoseconds))
            resume(id, granted: false)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in
            // Checked under the lock the timer also takes: a timer that fired before the waiter
            // was queued implies the deadline has passed here.
            let answer = state.withLock { state -> Bool? in
                if state.inUse < limit {
                    state.inUse += 1
                    return true
                }
                if deadline.hasPassed { return false }
                state.waiters.append(Waiter(id: id, continuation: continuation))
                return nil
            }
            if let answer { continuation.resume(returning: answer) }
        }
    }

    /// Takes a slot now if one is free with `reserve` more left over, and never waits: for
    /// work (shadow judging) that must not take a slot client traffic could need.
    public func tryAcquire(leaving reserve: Int) -> Bool {
        state.withLock { state -> Bool in
            guard state.waiters.isEmpty, state.inUse + max(0, reserve) < limit else { return false }
            state.inUse += 1
            return true
        }
    }

    /// Gives a slot back, handing it straight to the next waiter if there is one.
    public func release() {
        let next = state.withLock { state -> Waiter? in
            if state.waiters.isEmpty {
                state.inUse = max(0, state.inUse - 1)
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.continuation.resume(returning: true)
    }

    private func resume(_ id: UInt64, granted: Bool) {
        let waiter = state.withLock { state -> Waiter? in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index)
        }
        waiter?.continuation.resume(returning: granted)
    }
}
