/// The most recent values of a stream, by count and by age, and their quantiles.
///
/// Live calibration needs the distribution of the last few thousand win rates, not of all
/// time: a ring of at most `capacity` values, each dropped once older than `maxAgeMs`. At this
/// size an exact quantile (a sort of a copy, taken a few times a second, never per request)
/// is cheap and has none of a sketch's error, which at a share of 0.3 would be of the order
/// of the tolerance being held.
public struct RecentValues: Sendable {
    public let capacity: Int
    public let maxAgeMs: Int64
    private var values: [Double] = []
    private var times: [Int64] = []
    /// Where the next value goes once the ring is full.
    private var next = 0

    public init(capacity: Int, maxAgeMs: Int64) {
        self.capacity = max(1, capacity)
        self.maxAgeMs = maxAgeMs
        values.reserveCapacity(self.capacity)
        times.reserveCapacity(self.capacity)
    }

    public mutating func append(_ value: Double, atMs time: Int64) {
        guard value.isFinite else { return }
        if values.count < capacity {
            values.append(value)
            times.append(time)
        } else {
            values[next] = value
            times[next] = time
            next = (next + 1) % capacity
        }
    }

    /// The newest `limit` values (all of them by default) no older than `maxAgeMs` (or a
    /// shorter `age`) at `now`, oldest first.
    public func current(nowMs now: Int64, limit: Int? = nil, age: Int64? = nil) -> [Double] {
        let oldest = now - min(maxAgeMs, age ?? maxAgeMs)
        let order = values.count < capacity ? Array(values.indices) : Array(next..<capacity) + Array(0..<next)
        let fresh = order.filter { times[$0] >= oldest }.map { values[$0] }
        guard let limit, limit < fresh.count else { return fresh }
        return Array(fresh.suffix(max(0, limit)))
    }

    public func count(nowMs now: Int64) -> Int {
        let oldest = now - maxAgeMs
        return times.reduce(0) { $0 + ($1 >= oldest ? 1 : 0) }
    }

    /// The `q`-quantiles (each 0 to 1) of the newest `limit` current values by linear
    /// interpolation, or nil when there are none.
    public func quantiles(_ q: [Double], nowMs now: Int64, limit: Int? = nil) -> [Double]? {
        let sorted = current(nowMs: now, limit: limit).sorted()
        guard !sorted.isEmpty else { return nil }
        return q.map { Self.quantile(sorted, $0) }
    }

    /// Linear-interpolation quantile of sorted values.
    public static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        guard sorted.count > 1 else { return sorted.first ?? 0 }
        let position = min(1, max(0, q)) * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = min(lower + 1, sorted.count - 1)
        return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - Double(lower))
    }

    /// The value at quantile `q` of a table of quantiles taken at 0, 1/(n-1), ..., 1.
    public static func interpolate(_ table: [Double], at q: Double) -> Double? {
        guard !table.isEmpty else { return nil }
        return quantile(table, q)
    }
}
