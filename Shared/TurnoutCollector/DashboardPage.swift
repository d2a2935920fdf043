import Foundation
import TurnoutCollectorAPI
import TurnoutTelemetry

/// The collector's `GET /` page: the summary and two charts, plain HTML with inline SVG,
/// no scripts and no outside assets, so it renders anywhere, including air-gapped clusters.
enum DashboardPage {
    static func render(_ summary: Summary, calibration: [(extraLabels: [String: String], families: [MetricFamilySnapshot])] = [], generatedAt: Date = Date()) -> String {
        let total = summary.total
        var html = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Turnout: routing summary</title>
            <style>
            body{font-family:system-ui,sans-serif;margin:2rem;color:#222;max-width:64rem}
            h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
            table{border-collapse:collapse}td,th{padding:.25rem .75rem;border-bottom:1px solid #ddd;text-align:right}
            th:first-child,td:first-child{text-align:left}.figures{display:flex;gap:2rem;flex-wrap:wrap}
            .figure{font-size:1.6rem;font-weight:600}.label{color:#666;font-size:.85rem}
            </style></head><body>
            <h1>Turnout: routing summary</h1>
            <p class="label">Generated \(escape(iso(generatedAt))) from \(total.requests) routing records\(windowText(summary)).</p>
            <div class="figures">
            \(figure("requests", "\(total.requests)"))
            \(figure("strong share", percent(total.strongShare)))
            \(figure("cost", dollars(total.costUSD)))
            \(figure("saved vs. all-strong", dollars(total.costSavedUSD)))
            \(figure("p50 / p99 latency", "\(milliseconds(total.latencyP50Ms)) / \(milliseconds(total.latencyP99Ms))"))
            \(figure("fallbacks / errors", "\(total.fallbacks) / \(total.errors)"))
            </div>
            <h2>By router and threshold</h2>
            <table><tr><th>router</th><th>threshold</th><th>requests</th><th>strong share</th><th>cost</th><th>saved</th><th>p50</th><th>p99</th><th>fallbacks</th><th>errors</th></tr>
            """
        for group in summary.byRouter {
            html += "<tr><td>\(escape(group.router.isEmpty ? "(pass-through)" : group.router))</td><td>\(group.threshold.map { String(format: "%.4f", $0) } ?? "-")</td>"
            html += "<td>\(group.requests)</td><td>\(percent(group.strongShare))</td><td>\(dollars(group.costUSD))</td><td>\(dollars(group.costSavedUSD))</td>"
            html += "<td>\(milliseconds(group.latencyP50Ms))</td><td>\(milliseconds(group.latencyP99Ms))</td><td>\(group.fallbacks)</td><td>\(group.errors)</td></tr>\n"
        }
        html += "</table>\n"
        if !summary.byTenant.isEmpty {
            html += "<h2>By tenant</h2>\n<table><tr><th>tenant</th><th>requests</th><th>strong share</th><th>cost</th></tr>\n"
            for group in summary.byTenant {
                html += "<tr><td>\(escape(group.tenant))</td><td>\(group.requests)</td><td>\(percent(group.strongShare))</td><td>\(dollars(group.costUSD))</td></tr>\n"
            }
            html += "</table>\n"
        }
        html += judgementsTable(summary.judgements)
        html += calibrationTable(calibration)
        html += "<h2>Strong share over time</h2>\n" + chart(summary.series.map { ($0.startMs, $0.strongShare) }, maximum: 1, format: percent, title: "strong share")
        html += "<h2>Cost over time</h2>\n" + chart(summary.series.map { ($0.startMs, $0.costUSD) }, maximum: nil, format: dollars, title: "cost per interval")
        html += "</body></html>\n"
        return html
    }

    /// Shadow battles and ratings by router version (docs/learning.md); a note when there are none.
    static func judgementsTable(_ groups: [Summary.Judgements]) -> String {
        var html = "<h2>Judged by the deployment, by router version</h2>\n"
        guard !groups.isEmpty else {
            return html + "<p class=\"label\">No shadow battles or ratings in this window (shadow judging and feedback are off by default).</p>\n"
        }
        html += "<table><tr><th>router</th><th>version</th><th>judged</th><th>strong wins</th><th>weak wins</th><th>ties</th><th>strong win share</th><th>rated up</th><th>rated down</th></tr>\n"
        for group in groups {
            html += "<tr><td>\(escape(group.router))</td><td>\(escape(group.routerVersion))</td><td>\(group.judged)</td><td>\(group.strongWins)</td>"
            html += "<td>\(group.weakWins)</td><td>\(group.ties)</td><td>\(group.judged > 0 ? percent(group.strongWinShare) : "-")</td>"
            html += "<td>\(group.ratedUp)</td><td>\(group.ratedDown)</td></tr>\n"
        }
        return html + "</table>\n"
    }

    /// A line chart as inline SVG.
    static func chart(_ points: [(Int64, Double)], maximum: Double?, format: (Double) -> String, title: String) -> String {
        let width = 640.0, height = 180.0, left = 60.0, bottom = 24.0
        guard points.count >= 1 else { return "<p class=\"label\">No data in this window.</p>\n" }
        let top = max(maximum ?? (points.map(\.1).max() ?? 0), 1e-12)
        let first = Double(points.first?.0 ?? 0), last = Double(points.last?.0 ?? 1)
        let span = max(last - first, 1)
        func x(_ t: Int64) -> Double { left + (Double(t) - first) / span * (width - left - 10) }
        func y(_ v: Double) -> Double { (height - bottom) - v / top * (height - bottom - 10) }
        let path = points.map { String(format: "%.1f,%.1f", x($0.0), y($0.1)) }.joined(separator: " ")
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" role=\"img\" aria-label=\"\(escape(title))\">\n"
        svg += "<line x1=\"\(left)\" y1=\"\(height - bottom)\" x2=\"\(width - 10)\" y2=\"\(height - bottom)\" stroke=\"#999\"/>\n"
        svg += "<line x1=\"\(left)\" y1=\"10\" x2=\"\(left)\" y2=\"\(height - bottom)\" stroke=\"#999\"/>\n"
        svg += "<text x=\"4\" y=\"16\" font-size=\"11\">\(escape(format(top)))</text><text x=\"4\" y=\"\(height - bottom)\" font-size=\"11\">\(escape(format(0)))</text>\n"
        svg += "<text x=\"\(left)\" y=\"\(height - 6)\" font-size=\"11\">\(escape(clock(points.first?.0 ?? 0)))</text>"
        svg += "<text x=\"\(width - 60)\" y=\"\(height - 6)\" font-size=\"11\">\(escape(clock(points.last?.0 ?? 0)))</text>\n"
        svg += "<polyline fill=\"none\" stroke=\"#1f6feb\" stroke-width=\"2\" points=\"\(path)\"/>\n"
        for point in points {
            svg += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2\" fill=\"#1f6feb\"><title>%@</title></circle>\n", x(point.0), y(point.1), escape("\(clock(point.0)): \(format(point.1))"))
        }
        return svg + "</svg>\n"
    }

    static func figure(_ label: String, _ value: String) -> String {
        "<div><div class=\"figure\">\(escape(value))</div><div class=\"label\">\(escape(label))</div></div>"
    }

    static func windowText(_ summary: Summary) -> String {
        switch (summary.fromMs, summary.toMs) {
        case let (from?, to?): " between \(iso(Date(timeIntervalSince1970: Double(from) / 1000))) and \(iso(Date(timeIntervalSince1970: Double(to) / 1000)))"
        case let (from?, nil): " since \(iso(Date(timeIntervalSince1970: Double(from) / 1000)))"
        default: ""
        }
    }

    static func percent(_ value: Double) -> String { String(format: "%.1f%%", value * 100) }
    static func dollars(_ value: Double) -> String { value < 1 ? String(format: "$%.4f", value) : String(format: "$%.2f", value) }
    static func milliseconds(_ value: Double) -> String { String(format: "%.0f ms", value) }

    static func iso(_ date: Date) -> String {
        ISO8601DateFormatter().string(from: date)
    }

    static func clock(_ milliseconds: Int64) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm:ss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
