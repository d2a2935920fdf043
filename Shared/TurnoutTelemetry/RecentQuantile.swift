import Synchronization

/// One quantile of a stream's recent values (`RecentValues`), for deadlines and hedge delays
/// taken on every call: once there are enough values, the quantile is recomputed at most every
/// `refreshMs`, so a call reads a number rather than sorting the window.
public final class RecentQuantile: Sendable {
    private struct State {
        var window: RecentValues
        var cached: Double?
        /// When `cached` was computed; nil before the first time.
        var cachedAtMs: Int64?
    }

    public let quantile: Double
    public let minimumSamples: Int
    public let refreshMs: Int64
    private let state: Mutex<State>

    public init(quantile: Double, capacity: Int, maxAgeMs: Int64, minimumSamples: Int, refreshMs: Int64 = 50) {
        self.quantile = quantile
        self.minimumSamples = minimumSamples
        self.refreshMs = refreshMs
        state = Mutex(State(window: RecentValues(capacity: capacity, maxAgeMs: maxAgeMs)))
    }

    public func record(_ value: Double, nowMs: Int64) {
        state.withLock { $0.window.append(value, atMs: nowMs) }
    }

    /// The quantile of the current values, or nil while fewer than `minimumSamples` are current.
    public func value(nowMs: Int64) -> Double? {
        state.withLock { state in
            if let at = state.cachedAtMs, nowMs >= at, nowMs - at < refreshMs { return state.cached }
            guard state.window.count(nowMs: nowMs) >= minimumSamples else {
                // Not cached: the sample that makes the count is taken at once.
                state.cachedAtMs = nil
                return nil
            }
            state.cached = state.window.quantiles([quantile], nowMs: nowMs)?.first
            state.cachedAtMs = nowMs
            return state.cached
        }
    }
}
