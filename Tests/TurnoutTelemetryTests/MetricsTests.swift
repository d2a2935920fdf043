import Foundation
import Testing
import TurnoutTestSupport
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

@Suite struct PrometheusTextTests {
    func exposition() -> String {
        let registry = MetricsRegistry()
        registry.counter("turnout_requests_total", help: "Requests.\nSecond line", labels: ["method": "Echo/Echo", "code": "OK"]).increment(by: 3)
        registry.counter("turnout_requests_total", help: "Requests.", labels: ["method": "weird \"quoted\" \\ back\nslash", "code": "OK"]).increment()
        registry.gauge("turnout_connections", help: "Open connections.").set(2)
        let histogram = registry.histogram("turnout_latency_seconds", help: "Latency.", labels: ["method": "A/B"], buckets: [0.1, 1])
        histogram.observe(0.05)
        histogram.observe(0.5)
        histogram.observe(5)
        return PrometheusText.render([(["service": "scorer", "instance": "a:1"], registry.snapshot())])
    }

    @Test func rendersHelpTypeEscapingAndCumulativeBuckets() {
        let text = exposition()
        #expect(text.contains("# HELP turnout_requests_total Requests.\\nSecond line\n"))
        #expect(text.contains("# TYPE turnout_latency_seconds histogram\n"))
        #expect(text.contains("turnout_requests_total{code=\"OK\",instance=\"a:1\",method=\"Echo/Echo\",service=\"scorer\"} 3\n"))
        #expect(text.contains("method=\"weird \\\"quoted\\\" \\\\ back\\nslash\""))
        #expect(text.contains("turnout_latency_seconds_bucket{instance=\"a:1\",method=\"A/B\",service=\"scorer\",le=\"0.1\"} 1\n"))
        #expect(text.contains("turnout_latency_seconds_bucket{instance=\"a:1\",method=\"A/B\",service=\"scorer\",le=\"1\"} 2\n"))
        #expect(text.contains("turnout_latency_seconds_bucket{instance=\"a:1\",method=\"A/B\",service=\"scorer\",le=\"+Inf\"} 3\n"))
        #expect(text.contains("turnout_latency_seconds_count{instance=\"a:1\",method=\"A/B\",service=\"scorer\"} 3\n"))
        // Families in name order.
        let order = ["turnout_connections", "turnout_latency_seconds", "turnout_requests_total"].compactMap { text.firstRange(of: "# TYPE \($0)")?.lowerBound }
        #expect(order == order.sorted() && order.count == 3)
    }

    @Test func isDeterministic() {
        #expect(exposition() == exposition())
    }

    @Test func promtoolAcceptsIt() async throws {
        try await PromTool.check(exposition())
        // And the check can fail: a sample without a value is not the text format.
        await #expect(throws: RawError.self) { try await PromTool.check("# TYPE broken counter\nbroken_total{\n") }
    }
}
