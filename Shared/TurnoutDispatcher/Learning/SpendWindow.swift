import Synchronization

/// US dollars spent over the last hour, in one-minute buckets: what bounds shadow judging's
/// cost (`budget_usd_per_hour`). A sliding hour, so a burst is paid for once, not every hour.
public final class SpendWindow: Sendable {
    private struct Buckets {
        /// Spend per minute, indexed by minute modulo 60, and which minute each holds.
        var spend = [Double](repeating: 0, count: 60)
        var minute = [Int64](repeating: -1, count: 60)
    }

    private let buckets = Mutex(Buckets())
    private let now: @Sendable () -> Int64

    /// - Parameter clock: Unix milliseconds; tests pass their own.
    public init(clock: @escaping @Sendable () -> Int64) {
        now = clock
    }

    public func record(_ dollars: Double) {
        guard dollars.isFinite, dollars > 0 else { return }
        let minute = now() / 60_000
        buckets.withLock { buckets in
            let slot = Int(minute % 60)
            if buckets.minute[slot] != minute {
                buckets.minute[slot] = minute
                buckets.spend[slot] = 0
            }
            buckets.spend[slot] += dollars
        }
    }

    /// What was spent in the last 60 minutes, this one included.
    public var lastHour: Double {
        let minute = now() / 60_000
        return buckets.withLock { buckets in
            (0..<60).reduce(0) { sum, slot in minute - buckets.minute[slot] < 60 && buckets.minute[slot] >= 0 ? sum + buckets.spend[slot] : sum }
        }
    }
}
