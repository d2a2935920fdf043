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
    /// Methods tracked; calls of others are not hedged.
    static let maxMethods = 256

    private let methods = Mutex<[String: RecentQuantile]>([:])

    private func p95(_ method: String, creating: Bool) -> RecentQuantile? {
        methods.withLock { methods in
            if let existing = methods[method] { return existing }
            guard creating, methods.count < Self.maxMethods else { return nil }
            let made = RecentQuantile(quantile: 0.95, capacity: Self.window, maxAgeMs: Self.maxAgeMs, minimumSamples: Self.minimumSamples)
            methods[method] = made
            return made
        }
    }

    func record(_ method: String, milliseconds: Double, nowMs: Int64) {
        p95(method, creating: true)?.record(milliseconds, nowMs: nowMs)
    }

    /// The hedge delay for `method`, or nil while too few calls have been seen (the p95 is
    /// recomputed at most every 50 ms, `RecentQuantile`).
    func delay(for method: String, nowMs: Int64) -> Duration? {
        guard let p95 = p95(method, creating: false)?.value(nowMs: nowMs) else { return nil }
        return max(Self.floor, .microseconds(Int64(p95 * 1000)))
    }
}
