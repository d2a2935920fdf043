import Synchronization
import TurnoutTelemetry

/// When to send an idempotent call to a second endpoint: once it has taken longer than the
/// p95 of the same method's recent successful calls. A replica that is frozen (stopped,
/// swapping, stalled in a long pause) never answers and never fails; without a hedge every
/// call that lands on it waits out its whole deadline. At the p95, about one call in twenty
/// is sent twice.
final class HedgeTimer: Sendable {
    static let window = 500
    static let minimumSamples = 50
    static let maxAgeMs: Int64 = 60_000
    static let floor: Duration = .milliseconds(1)

    private struct State {
        var methods: [String: RecentValues] = [:]
        var cached: [String: (delay: Duration?, atMs: Int64, samples: Int)] = [:]
    }

    private let state = Mutex(State())

    func record(_ method: String, milliseconds: Double, nowMs: Int64) {
        state.withLock { state in
            if state.methods[method] == nil {
                guard state.methods.count < 256 else { return }
                state.methods[method] = RecentValues(capacity: Self.window, maxAgeMs: Self.maxAgeMs)
            }
            state.methods[method]?.append(milliseconds, atMs: nowMs)
        }
    }

    /// The hedge delay for `method`, or nil while too few calls have been seen. Recomputed at
    /// most every 50 ms or 25 calls, so a call does not sort 500 numbers.
    func delay(for method: String, nowMs: Int64) -> Duration? {
        state.withLock { state in
            guard let window = state.methods[method] else { return nil }
            if let cached = state.cached[method], nowMs - cached.atMs < 50 { return cached.delay }
            let count = window.count(nowMs: nowMs)
            var delay: Duration?
            if count >= Self.minimumSamples, let p95 = window.quantiles([0.95], nowMs: nowMs)?.first {
                delay = max(Self.floor, .microseconds(Int64(p95 * 1000)))
            }
            state.cached[method] = (delay, nowMs, count)
            return delay
        }
    }
}
