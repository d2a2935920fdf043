import Synchronization

/// A `Double` updated without locks: a compare-and-swap on its bits.
final class AtomicDouble: Sendable {
    private let bits = Atomic<UInt64>(Double(0).bitPattern)

    func add(_ amount: Double) {
        var current = bits.load(ordering: .relaxed)
        while true {
            let next = (Double(bitPattern: current) + amount).bitPattern
            let (exchanged, original) = bits.compareExchange(expected: current, desired: next, ordering: .relaxed)
            if exchanged { return }
            current = original
        }
    }

    func store(_ value: Double) {
        bits.store(value.bitPattern, ordering: .relaxed)
    }

    var value: Double { Double(bitPattern: bits.load(ordering: .relaxed)) }
}

/// A monotonically increasing value, e.g. requests served or dollars spent.
/// Increments never lock, so counters can sit on the request path.
public final class Counter: Sendable {
    private let storage = AtomicDouble()

    init() {}

    public func increment(by amount: Double = 1) {
        guard amount > 0 else { return }
        storage.add(amount)
    }

    public var value: Double { storage.value }
}

/// A value that goes up and down, e.g. connections open or cache entries.
public final class Gauge: Sendable {
    private let storage = AtomicDouble()

    init() {}

    public func set(_ value: Double) {
        storage.store(value)
    }

    public func add(_ amount: Double) {
        storage.add(amount)
    }

    public var value: Double { storage.value }
}

/// Observations counted into cumulative buckets, as Prometheus histograms are.
public final class Histogram: Sendable {
    public let upperBounds: [Double]
    private let buckets: [AtomicCount]
    private let total = AtomicCount()
    private let sum = AtomicDouble()

    init(upperBounds: [Double]) {
        self.upperBounds = upperBounds.sorted()
        buckets = upperBounds.map { _ in AtomicCount() }
    }

    public func observe(_ value: Double) {
        guard value.isFinite else { return }
        // Buckets are few (about a dozen), so a linear scan beats a binary search.
        if let index = upperBounds.firstIndex(where: { value <= $0 }) {
            buckets[index].increment()
        }
        total.increment()
        sum.add(value)
    }

    /// Per-bucket (non-cumulative) counts, the total count and the sum.
    public var state: (counts: [UInt64], count: UInt64, sum: Double) {
        (buckets.map(\.value), total.value, sum.value)
    }

    /// Seconds, 0.1 ms to 10 s: latencies from a cache hit to a slow upstream.
    public static let latencyBuckets: [Double] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
}

final class AtomicCount: Sendable {
    private let storage = Atomic<UInt64>(0)

    func increment() {
        storage.add(1, ordering: .relaxed)
    }

    var value: UInt64 { storage.load(ordering: .relaxed) }
}
