import TurnoutTelemetry

extension DashboardPage {
    /// Live calibration as each dispatcher last reported it: the target, the share it realised
    /// and the threshold it routes with, per router (docs/dispatcher.md, "Live calibration").
    static func calibrationTable(_ live: [(extraLabels: [String: String], families: [MetricFamilySnapshot])]) -> String {
        struct Row: Hashable {
            var instance: String
            var router: String
            var target: String
        }
        var values: [Row: [String: Double]] = [:]
        for (extra, families) in live {
            for family in families where family.name.hasPrefix("turnout_dispatcher_calibration_") {
                let figure = String(family.name.dropFirst("turnout_dispatcher_calibration_".count))
                for sample in family.samples {
                    let row = Row(instance: extra["instance"] ?? "", router: sample.labels["router"] ?? "", target: sample.labels["target"] ?? "")
                    values[row, default: [:]][figure] = sample.value
                }
            }
        }
        var html = "<h2>Live calibration</h2>\n"
        guard !values.isEmpty else {
            return html + "<p class=\"label\">No dispatcher is holding a share target (router-&lt;name&gt;@&lt;percent&gt;%, or router-&lt;name&gt; with live calibration on).</p>\n"
        }
        html += "<table><tr><th>router</th><th>dispatcher</th><th>target share</th><th>realised share</th><th>live threshold</th></tr>\n"
        for (row, figures) in values.sorted(by: { ($0.key.router, $0.key.target, $0.key.instance) < ($1.key.router, $1.key.target, $1.key.instance) }) {
            html += "<tr><td>\(escape(row.router))</td><td>\(escape(row.instance))</td><td>\(figures["target_share"].map(percent) ?? "-")</td>"
            html += "<td>\(figures["realised_share"].map(percent) ?? "-")</td><td>\(figures["threshold"].map { String(format: "%.4f", $0) } ?? "-")</td></tr>\n"
        }
        return html + "</table>\n"
    }
}
