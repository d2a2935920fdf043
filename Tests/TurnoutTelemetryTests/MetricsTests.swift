import Testing
import TurnoutTelemetry

@Suite struct MetricsTests {
    @Test func countersAreExactUnderConcurrency() async {
        let registry = MetricsRegistry()
        let counter = registry.counter("turnout_test_total", help: "test", labels: ["method": "A/B"])
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask { for _ in 0..<10_000 { counter.increment() } }
            }
        }
        #expect(counter.value == 80_000)
        // The same name and labels give the same series.
        #expect(registry.counter("turnout_test_total", help: "test", labels: ["method": "A/B"]) === counter)
    }

    @Test func histogramsCountIntoBucketsAndSum() {
        let registry = MetricsRegistry()
        let histogram = registry.histogram("turnout_latency_seconds", help: "h", buckets: [0.1, 1, 10])
        for value in [0.05, 0.1, 0.5, 5, 50, .nan] { histogram.observe(value) }
        let state = histogram.state
        #expect(state.counts == [2, 1, 1])
        #expect(state.count == 5)
        #expect(abs(state.sum - 55.65) < 1e-9)
    }

    @Test func snapshotsAreSortedAndComplete() {
        let registry = MetricsRegistry()
        registry.gauge("b_gauge", help: "g").set(3)
        registry.counter("a_total", help: "c", labels: ["code": "OK"]).increment(by: 2)
        registry.counter("a_total", help: "c", labels: ["code": "INTERNAL"]).increment()
        let snapshot = registry.snapshot()
        #expect(snapshot.map(\.name) == ["a_total", "b_gauge"])
        #expect(snapshot[0].samples.map { $0.labels["code"] } == ["INTERNAL", "OK"])
        #expect(snapshot[0].samples.map(\.value) == [1, 2])
        #expect(snapshot[1].kind == .gauge && snapshot[1].samples[0].value == 3)
    }

    @Test func aNameReusedWithOtherLabelsDoesNotCorruptTheFamily() {
        let registry = MetricsRegistry()
        registry.counter("x_total", help: "x", labels: ["a": "1"]).increment()
        registry.counter("x_total", help: "x", labels: ["b": "2"]).increment(by: 5)
        let family = registry.snapshot()[0]
        #expect(family.samples.count == 1)
        #expect(family.samples[0].labels == ["a": "1"])
    }
}
