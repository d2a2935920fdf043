import Foundation

/// Quality against the share of strong calls, one line per router, as an SVG document:
/// RouteLLM's evaluation plot, with the strong and weak models as horizontal lines.
public enum EvaluationPlot {
    static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"]

    public static func svg(_ reports: [RouterReport], benchmark: Benchmark) -> String {
        let width = 800.0, height = 440.0, left = 70.0, right = 250.0, top = 40.0, bottom = 50.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let qualities = reports.flatMap { $0.curve.map(\.quality) } + [benchmark.strongQuality, benchmark.weakQuality]
        // Accuracies live in 0...1, judge scores in 1...10; pad the range by 2% of the scale.
        let range: ClosedRange<Double> = benchmark.scale == .correctness ? 0...1 : 1...10
        let pad = 0.02 * (range.upperBound - range.lowerBound)
        let low = max(range.lowerBound, (qualities.min() ?? range.lowerBound) - pad)
        let high = min(range.upperBound, (qualities.max() ?? range.upperBound) + pad)
        func x(_ share: Double) -> Double { left + share * plotWidth }
        func y(_ quality: Double) -> Double { top + (high - quality) / max(high - low, 1e-9) * plotHeight }
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(left)" y="24" font-size="15">Quality vs. strong-model calls (\(escape(benchmark.name)), \(benchmark.items.count) questions)</text>
            <line x1="\(left)" y1="\(top + plotHeight)" x2="\(left + plotWidth)" y2="\(top + plotHeight)" stroke="#333"/>
            <line x1="\(left)" y1="\(top)" x2="\(left)" y2="\(top + plotHeight)" stroke="#333"/>

            """
        for step in 0...5 {
            let share = Double(step) / 5
            svg += "<text x=\"\(x(share) - 10)\" y=\"\(top + plotHeight + 18)\">\(step * 20)%</text>\n"
            let quality = low + (high - low) * Double(step) / 5
            svg += "<text x=\"\(left - 48)\" y=\"\(y(quality) + 4)\">\(benchmark.scale == .correctness ? String(format: "%.1f%%", quality * 100) : String(format: "%.2f", quality))</text>\n"
            svg += "<line x1=\"\(left)\" y1=\"\(y(quality))\" x2=\"\(left + plotWidth)\" y2=\"\(y(quality))\" stroke=\"#eee\"/>\n"
        }
        svg += "<text x=\"\(left + plotWidth / 2 - 60)\" y=\"\(height - 10)\">strong-model calls</text>\n"
        var legend = 0
        func legendEntry(_ label: String, color: String, dashed: Bool) {
            let ly = top + 10 + Double(legend) * 20
            svg += "<line x1=\"\(left + plotWidth + 15)\" y1=\"\(ly)\" x2=\"\(left + plotWidth + 40)\" y2=\"\(ly)\" stroke=\"\(color)\" stroke-width=\"2\"\(dashed ? " stroke-dasharray=\"5,4\"" : "")/>\n"
            svg += "<text x=\"\(left + plotWidth + 46)\" y=\"\(ly + 4)\">\(escape(label))</text>\n"
            legend += 1
        }
        for (label, quality, color) in [("strong model", benchmark.strongQuality, "#d62728"), ("weak model", benchmark.weakQuality, "#7f7f7f")] {
            svg += "<line x1=\"\(left)\" y1=\"\(y(quality))\" x2=\"\(left + plotWidth)\" y2=\"\(y(quality))\" stroke=\"\(color)\" stroke-dasharray=\"5,4\"/>\n"
            legendEntry(label, color: color, dashed: true)
        }
        for (index, report) in reports.enumerated() {
            let color = palette[index % palette.count]
            let points = report.curve.sorted { $0.strongShare < $1.strongShare }
                .map { String(format: "%.1f,%.1f", x($0.strongShare), y($0.quality)) }.joined(separator: " ")
            svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(points)\"/>\n"
            legendEntry("\(report.router) (APGR \(String(format: "%.3f", report.apgr)))", color: color, dashed: false)
        }
        return svg + "</svg>\n"
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
