import Dispatch
import Synchronization
import TurnoutWire

/// Stops calling an upstream that keeps failing, then lets one trial call through.
///
/// Closed: calls flow; `failureThreshold` consecutive failures open it. Open: calls are
/// refused at once for `cooldown` (no timeouts piling up against a dead upstream). Then
/// half-open: one call is let through; success closes the breaker, failure reopens it.
public final class CircuitBreaker: Sendable {
    public enum State: String, Sendable {
        case closed, open, halfOpen = "half_open"
    }

    private struct Inner {
        var state: State = .closed
        var consecutiveFailures = 0
        var openedAt: UInt64 = 0
        var trialInFlight = false
    }

    public let failureThreshold: Int
    public let cooldown: Duration
    private let inner = Mutex(Inner())
    private let now: @Sendable () -> UInt64

    public init(failureThreshold: Int = 5, cooldown: Duration = .seconds(10), clock: @escaping @Sendable () -> UInt64 = { DispatchTime.now().uptimeNanoseconds }) {
        self.failureThreshold = max(1, failureThreshold)
        self.cooldown = cooldown
        now = clock
    }

    /// Whether a call may go out now; a true answer in half-open state reserves the trial call.
    public func allowCall() -> Bool {
        let time = now()
        let cooldownNanos = cooldown.nanoseconds
        return inner.withLock { inner in
            switch inner.state {
            case .closed:
                return true
            case .open:
                guard time &- inner.openedAt >= cooldownNanos else { return false }
                inner.state = .halfOpen
                inner.trialInFlight = true
                return true
            case .halfOpen:
                guard !inner.trialInFlight else { return false }
                inner.trialInFlight = true
                return true
            }
        }
    }

    public func recordSuccess() {
        inner.withLock { inner in
            inner.state = .closed
            inner.consecutiveFailures = 0
            inner.trialInFlight = false
        }
    }

    public func recordFailure() {
        let time = now()
        inner.withLock { inner in
            inner.consecutiveFailures += 1
            inner.trialInFlight = false
            if inner.state == .halfOpen || inner.consecutiveFailures >= failureThreshold {
                inner.state = .open
                inner.openedAt = time
            }
        }
    }

    public var state: State { inner.withLock { $0.state } }
}
