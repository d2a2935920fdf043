import Testing
import TurnoutDispatcher
import TurnoutTelemetry

@Suite struct RecentValuesTests {
    @Test func keepsTheNewestByCountAndByAge() {
        var window = RecentValues(capacity: 4, maxAgeMs: 100)
        for (index, value) in [1.0, 2, 3, 4, 5, 6].enumerated() { window.append(value, atMs: Int64(index * 10)) }
        #expect(window.current(nowMs: 50) == [3, 4, 5, 6], "the ring keeps four, oldest first")
        #expect(window.current(nowMs: 50, limit: 2) == [5, 6])
        #expect(window.current(nowMs: 135) == [5, 6], "at 135 what arrived before 35 is past 100 ms")
        #expect(window.current(nowMs: 50, age: 15) == [5, 6])
        #expect(window.quantiles([0, 0.5, 1], nowMs: 50) == [3, 4.5, 6])
        window.append(.nan, atMs: 60)
        #expect(window.count(nowMs: 60) == 4, "a non-finite value is not kept")
    }
}

@Suite struct RecentQuantileTests {
    @Test func isTakenOnceThereAreEnoughValuesThenRecomputedAtMostEveryRefresh() {
        let p95 = RecentQuantile(quantile: 0.95, capacity: 100, maxAgeMs: 10_000, minimumSamples: 20, refreshMs: 50)
        for index in 0..<19 { p95.record(1, nowMs: Int64(index)) }
        #expect(p95.value(nowMs: 19) == nil, "19 values are too few")
        p95.record(1, nowMs: 19)
        #expect(p95.value(nowMs: 20) == 1, "the twentieth counts at once")
        for _ in 0..<100 { p95.record(10, nowMs: 30) }
        #expect(p95.value(nowMs: 60) == 1, "within 50 ms of the last computation, the same number")
        #expect(p95.value(nowMs: 70) == 10, "then the window's own")
    }
}

@Suite struct ShareControllerTests {
    /// A deterministic stream of win rates spread evenly over `low...high`.
    static func rates(_ count: Int, _ low: Double, _ high: Double, offset: Int = 0) -> [Double] {
        (0..<count).map { low + (high - low) * Double(($0 + offset) * 7919 % 1000) / 999 }
    }

    /// Routes `rates` as the scorer would (strong at or above the threshold) and returns the
    /// decisions.
    static func route(_ rates: [Double], _ controller: inout ShareController, start: Double, version: String = "v1", fromMs: Int64 = 0) -> [Bool] {
        rates.enumerated().map { index, rate in
            let threshold = controller.threshold ?? start
            let strong = rate >= threshold
            controller.observe(winRate: rate, strong: strong, version: version, threshold: threshold, nowMs: fromMs + Int64(index))
            return strong
        }
    }

    @Test func holdsTheTargetThroughADistributionShift() {
        var controller = ShareController(target: 0.3)
        // Calibrated offline on 0.4 to 0.6: the threshold for 30 % strong is 0.54.
        let warm = Self.route(Self.rates(2000, 0.4, 0.6), &controller, start: 0.54)
        #expect(abs(Double(warm.suffix(500).filter { $0 }.count) / 500 - 0.3) < 0.03)
        // The traffic shifts up: at 0.54, 68 % of it would go strong.
        let shifted = Self.rates(3000, 0.45, 0.75, offset: 3)
        #expect(Double(shifted.filter { $0 >= 0.54 }.count) / 3000 > 0.6)
        let live = Self.route(shifted, &controller, start: 0.54, fromMs: 2000)
        let share = Double(live.suffix(500).filter { $0 }.count) / 500
        #expect(abs(share - 0.3) <= 0.02, "the last 500 decisions: \(share)")
        #expect(abs((controller.threshold ?? 0) - 0.66) < 0.02, "near the shifted traffic's 70th percentile: \(controller.threshold ?? 0)")
    }

    @Test func movesInBoundedStepsAndStartsOverOnANewArtifact() {
        var controller = ShareController(target: 0.3)
        var thresholds: [Double] = []
        for (index, rate) in Self.rates(1500, 0.8, 0.9).enumerated() {
            controller.observe(winRate: rate, strong: rate >= (controller.threshold ?? 0.5), version: "v1", threshold: controller.threshold ?? 0.5, nowMs: Int64(index))
            thresholds.append(controller.threshold ?? 0.5)
        }
        #expect(thresholds.first == 0.5, "the artifact's own threshold first")
        #expect(zip(thresholds, thresholds.dropFirst()).allSatisfy { abs($1 - $0) <= 0.02 + 1e-12 }, "never more than maxStep at once")
        #expect((controller.threshold ?? 0) > 0.8)
        controller.observe(winRate: 0.5, strong: true, version: "v2", threshold: 0.42, nowMs: 2000)
        #expect(controller.threshold == 0.42 && controller.version == "v2" && controller.realisedShare == 1, "a new artifact starts from its own threshold")
    }

    @Test func prefersThePooledWinRatesWhenTheyAreMore() {
        var controller = ShareController(target: 0.5)
        _ = Self.route(Self.rates(300, 0.4, 0.6), &controller, start: 0.5)
        // Every dispatcher's traffic sits higher than this one's: the pooled median is 0.8.
        controller.usePooled(count: 5000, quantiles: (0...100).map { 0.7 + 0.2 * Double($0) / 100 }, version: "v1")
        controller.usePooled(count: 9000, quantiles: [0, 1], version: "v0")
        for index in 0..<400 { controller.observe(winRate: 0.5, strong: false, version: "v1", threshold: controller.threshold ?? 0.5, nowMs: Int64(300 + index)) }
        #expect((controller.threshold ?? 0) > 0.7, "towards the pooled quantiles (all above 0.7), not the local ones (at most 0.6): \(controller.threshold ?? 0)")
    }
}
