import TurnoutTelemetry
import TurnoutWire

/// The wire server's metrics, with every series created up front so recording a request
/// is two atomic updates and no lookup: one table row per method, one counter per status code.
struct WireServerMetrics: Sendable {
    struct MethodSeries: Sendable {
        let duration: Histogram
        let byCode: [StatusCode: Counter]
    }

    private let methods: [String: MethodSeries]
    private let unknownMethod: MethodSeries
    let connections: Gauge
    let inFlight: Gauge

    init(registry: MetricsRegistry, methods names: [String]) {
        func series(_ method: String) -> MethodSeries {
            let duration = registry.histogram("turnout_wire_request_duration_seconds", help: "Time from a request frame's arrival to its response, by method.", labels: ["method": method])
            var byCode: [StatusCode: Counter] = [:]
            for code in StatusCode.allCases {
                byCode[code] = registry.counter("turnout_wire_requests_total", help: "Wire requests answered, by method and status code.", labels: ["method": method, "code": code.rawValue])
            }
            return MethodSeries(duration: duration, byCode: byCode)
        }
        var table: [String: MethodSeries] = [:]
        for name in names { table[name] = series(name) }
        methods = table
        // Methods nobody registered share one label value, so a scanner cannot grow the series set.
        unknownMethod = series("unknown")
        connections = registry.gauge("turnout_wire_connections", help: "Open wire connections.")
        inFlight = registry.gauge("turnout_wire_requests_in_flight", help: "Wire requests being handled or queued.")
    }

    func record(method: String, code: StatusCode, seconds: Double) {
        let series = methods[method] ?? unknownMethod
        series.byCode[code]?.increment()
        series.duration.observe(seconds)
    }
}
