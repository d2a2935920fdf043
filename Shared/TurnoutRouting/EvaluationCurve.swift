/// One point of a router's quality-versus-cost curve.
public struct CurvePoint: Sendable, Codable, Equatable {
    public var threshold: Double
    /// Share of questions sent to the strong model, 0...1.
    public var strongShare: Double
    /// Mean score (accuracy for correctness benchmarks), on the benchmark's own scale.
    public var quality: Double

    enum CodingKeys: String, CodingKey {
        case threshold
        case strongShare = "strong_share"
        case quality
    }

    public init(threshold: Double, strongShare: Double, quality: Double) {
        self.threshold = threshold
        self.strongShare = strongShare
        self.quality = quality
    }
}

/// RouteLLM's offline metrics, computed exactly as its evaluation does.
public enum RouterMetrics {
    /// Bin edges of `count` equal-population bins of `values` (pandas `qcut` with `retbins`):
    /// the quantiles at 0, 1/count, ..., 1 by linear interpolation, duplicates kept.
    public static func quantileThresholds(_ values: [Double], count: Int) -> [Double] {
        let sorted = values.sorted()
        guard !sorted.isEmpty, count > 0 else { return [] }
        return (0...count).map { quantile(sorted, Double($0) / Double(count)) }
    }

    /// Linear-interpolation quantile of sorted values (numpy's default).
    public static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        guard sorted.count > 1 else { return sorted.first ?? 0 }
        let position = q * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = min(lower + 1, sorted.count - 1)
        let fraction = position - Double(lower)
        return sorted[lower] + (sorted[upper] - sorted[lower]) * fraction
    }

    /// The curve for `winRates` over `items`: at each threshold, questions with a win rate at or
    /// above it go to the strong model; at the last (the maximum) only those strictly above.
    public static func curve(winRates: [Double], items: [BenchmarkItem], thresholds: [Double]) -> [CurvePoint] {
        precondition(winRates.count == items.count, "one win rate per item")
        let total = Double(items.count)
        return thresholds.enumerated().map { index, threshold in
            let isLast = index == thresholds.count - 1
            var strong = 0
            var score = 0.0
            for (rate, item) in zip(winRates, items) {
                let routeStrong = isLast ? rate > threshold : rate >= threshold
                if routeStrong {
                    strong += 1
                    score += item.strongScore
                } else {
                    score += item.weakScore
                }
            }
            return CurvePoint(threshold: threshold, strongShare: Double(strong) / total, quality: score / total)
        }
    }

    /// Area under quality over strong share (trapezoid rule, points ordered by share).
    public static func auc(_ points: [CurvePoint]) -> Double {
        let sorted = points.sorted { $0.strongShare < $1.strongShare }
        var area = 0.0
        for (a, b) in zip(sorted, sorted.dropFirst()) {
            area += (b.strongShare - a.strongShare) * (a.quality + b.quality) / 2
        }
        return area
    }

    /// Average performance gap recovered: (AUC - weak AUC) / (strong AUC - weak AUC), the weak
    /// and strong lines integrated over the same range of shares as the curve.
    public static func apgr(_ points: [CurvePoint], strongQuality: Double, weakQuality: Double) -> Double {
        let shares = points.map(\.strongShare)
        guard let low = shares.min(), let high = shares.max(), high > low, strongQuality != weakQuality else { return 0 }
        let weakArea = weakQuality * (high - low)
        let strongArea = strongQuality * (high - low)
        return (auc(points) - weakArea) / (strongArea - weakArea)
    }

    /// Call-performance threshold: the strong share needed to recover `fraction` of the gap,
    /// by linear interpolation over the curve sorted by share (as numpy's `interp` does).
    public static func cpt(_ points: [CurvePoint], fraction: Double, strongQuality: Double, weakQuality: Double) -> Double {
        let sorted = points.sorted { $0.strongShare < $1.strongShare }
        let target = fraction * (strongQuality - weakQuality) + weakQuality
        return interpolate(target, xs: sorted.map(\.quality), ys: sorted.map(\.strongShare))
    }

    /// numpy's `interp`: `xs` are assumed increasing; outside them the end values hold.
    public static func interpolate(_ x: Double, xs: [Double], ys: [Double]) -> Double {
        guard let first = xs.first, let last = xs.last, !ys.isEmpty else { return 0 }
        if x <= first { return ys[0] }
        if x >= last { return ys[ys.count - 1] }
        // Binary search for the rightmost xs[i] <= x, as numpy does for sorted input.
        var low = 0
        var high = xs.count - 1
        while high - low > 1 {
            let middle = (low + high) / 2
            if xs[middle] <= x { low = middle } else { high = middle }
        }
        let span = xs[high] - xs[low]
        guard span != 0 else { return ys[high] }
        return ys[low] + (ys[high] - ys[low]) * (x - xs[low]) / span
    }

    /// The best any router could do with `share` of strong calls: every question the weak
    /// model gets wrong and the strong one right goes strong first (correctness benchmarks),
    /// or the largest score gains first (judge-scored benchmarks).
    public static func optimalQuality(items: [BenchmarkItem], share: Double) -> Double {
        let total = Double(items.count)
        guard total > 0 else { return 0 }
        let gains = items.map { $0.strongScore - $0.weakScore }.filter { $0 > 0 }.sorted(by: >)
        let base = items.reduce(0) { $0 + $1.weakScore }
        let calls = share * total
        var bonus = 0.0
        for (index, gain) in gains.enumerated() {
            let remaining = calls - Double(index)
            if remaining <= 0 { break }
            bonus += gain * min(1, remaining)
        }
        return (base + bonus) / total
    }
}
