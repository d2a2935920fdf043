import Foundation
import Testing
import TurnoutRouting

@Suite struct RouterMetricsTests {
    /// A: only the strong model is right; B: both; C and D: neither.
    let items = [
        BenchmarkItem(prompt: "A", strongScore: 1, weakScore: 0),
        BenchmarkItem(prompt: "B", strongScore: 1, weakScore: 1),
        BenchmarkItem(prompt: "C", strongScore: 0, weakScore: 0),
        BenchmarkItem(prompt: "D", strongScore: 0, weakScore: 0),
    ]
    let winRates = [0.9, 0.5, 0.1, 0.3]

    @Test func quantileThresholdsInterpolateLinearly() {
        #expect(RouterMetrics.quantileThresholds(winRates, count: 2) == [0.1, 0.4, 0.9])
        #expect(RouterMetrics.quantile([1, 2, 3, 4, 5], 0.1) == 1.4)
    }

    @Test func curveAUCAPGRAndCPTByHand() {
        let points = RouterMetrics.curve(winRates: winRates, items: items, thresholds: [0.1, 0.4, 0.9])
        // At 0.1 everything goes strong; at 0.4 A and B do; at the maximum (strictly above) nothing does.
        #expect(points.map(\.strongShare) == [1, 0.5, 0])
        #expect(points.map(\.quality) == [0.5, 0.5, 0.25])
        #expect(abs(RouterMetrics.auc(points) - 0.4375) < 1e-12)
        #expect(abs(RouterMetrics.apgr(points, strongQuality: 0.5, weakQuality: 0.25) - 0.75) < 1e-12)
        #expect(abs(RouterMetrics.cpt(points, fraction: 0.5, strongQuality: 0.5, weakQuality: 0.25) - 0.25) < 1e-12)
        #expect(abs(RouterMetrics.cpt(points, fraction: 0.8, strongQuality: 0.5, weakQuality: 0.25) - 0.4) < 1e-12)
    }

    @Test func theOptimalRouterRecoversTheWholeGap() {
        // One question in four gains from the strong model: 25% of calls suffice.
        #expect(RouterMetrics.optimalQuality(items: items, share: 0) == 0.25)
        #expect(RouterMetrics.optimalQuality(items: items, share: 0.125) == 0.375)
        #expect(RouterMetrics.optimalQuality(items: items, share: 0.25) == 0.5)
        #expect(RouterMetrics.optimalQuality(items: items, share: 1) == 0.5)
        let optimal = stride(from: 0.0, through: 1.0, by: 0.125).map {
            CurvePoint(threshold: 0, strongShare: $0, quality: RouterMetrics.optimalQuality(items: items, share: $0))
        }
        // Area: a ramp from 0.25 to 0.5 over the first quarter, then flat at 0.5.
        let expected = (0.5 * (0.25 + 0.5) / 2 * 0.25 / 0.5) + 0.5 * 0.75
        #expect(abs(RouterMetrics.auc(optimal) - expected) < 1e-12)
        #expect(abs(RouterMetrics.apgr(optimal, strongQuality: 0.5, weakQuality: 0.25) - 0.875) < 1e-12)
    }

    @Test func tiedWinRatesGiveRepeatedThresholds() {
        let tied = [0.5, 0.5, 0.5, 0.5]
        let thresholds = RouterMetrics.quantileThresholds(tied, count: 4)
        #expect(thresholds == [0.5, 0.5, 0.5, 0.5, 0.5])
        let points = RouterMetrics.curve(winRates: tied, items: items, thresholds: thresholds)
        // Every threshold but the last sends all; the last (strictly above) sends none.
        #expect(points.map(\.strongShare) == [1, 1, 1, 1, 0])
        #expect(abs(RouterMetrics.apgr(points, strongQuality: 0.5, weakQuality: 0.25) - 0.5) < 1e-12)
    }

    @Test func interpolationMatchesNumpy() {
        #expect(RouterMetrics.interpolate(2.5, xs: [1, 2, 3], ys: [10, 20, 30]) == 25)
        #expect(RouterMetrics.interpolate(0, xs: [1, 2, 3], ys: [10, 20, 30]) == 10)
        #expect(RouterMetrics.interpolate(9, xs: [1, 2, 3], ys: [10, 20, 30]) == 30)
        #expect(RouterMetrics.interpolate(2, xs: [1, 2, 2, 3], ys: [10, 20, 25, 30]) == 25)
    }
}

@Suite struct BenchmarkDataTests {
    @Test func csvHandlesQuotesCommasAndNewlines() throws {
        let text = "prompt,a,b\r\n\"Q1, with comma\nand newline \"\"quoted\"\"\",True,False\nplain,False,True\n"
        let rows = try CSVReader.records(text)
        #expect(rows.count == 2)
        #expect(rows[0]["prompt"] == "Q1, with comma\nand newline \"quoted\"")
        #expect(rows[1]["b"] == "True")
        #expect(throws: CSVReader.Failure.self) { try CSVReader.rows("a,\"unterminated\n") }
        #expect(throws: CSVReader.Failure.self) { try CSVReader.records("a,b\n1,2,3\n") }
    }

    @Test func realDataLoadsWithItsPublishedAccuracies() throws {
        let data = try #require(BenchmarkData.defaultDirectory() ?? TestData.directory, "../shared/data not found")
        let mmlu = try BenchmarkData.mmlu(directory: data.appendingPathComponent("mmlu"), decontaminate: false)
        #expect(mmlu.items.count == 14042)
        #expect(abs(mmlu.strongQuality - 0.8058) < 0.0001)
        #expect(abs(mmlu.weakQuality - 0.6808) < 0.0001)
        let clean = try BenchmarkData.mmlu(directory: data.appendingPathComponent("mmlu"))
        #expect(clean.items.count < 14042 && clean.items.count >= 14042 - 5)
        let gsm8k = try BenchmarkData.gsm8k(directory: data.appendingPathComponent("gsm8k"), decontaminate: false)
        #expect(gsm8k.items.count == 1319)
        #expect(abs(gsm8k.strongQuality - 0.8567) < 0.0001)
        #expect(abs(gsm8k.weakQuality - 0.6384) < 0.0001)
    }

    @Test func missingDataIsAClearError() {
        do {
            _ = try BenchmarkData.gsm8k(directory: URL(fileURLWithPath: "/nonexistent/gsm8k"))
            Issue.record("must fail")
        } catch {
            #expect(error.description.contains("/nonexistent/gsm8k/gsm8k_responses.csv"))
        }
    }
}

enum TestData {
    /// `../shared/data` relative to the package root.
    static var directory: URL? {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let candidate = root.appendingPathComponent("../shared/data").standardizedFileURL
        return FileManager.default.fileExists(atPath: candidate.path) ? candidate : nil
    }
}

@Suite struct EvaluationPlanTests {
    let benchmark = Benchmark(name: "tiny", strongModel: "s", weakModel: "w", items: [
        BenchmarkItem(prompt: "a", strongScore: 1, weakScore: 0), BenchmarkItem(prompt: "b", strongScore: 0, weakScore: 1),
        BenchmarkItem(prompt: "c", strongScore: 1, weakScore: 0), BenchmarkItem(prompt: "d", strongScore: 0, weakScore: 1),
    ])
    let embeddings: [[Float]] = [[1, 0], [0, 1], [0.9, 0.1], [0.1, 0.9]]

    @Test func trainingOnlyElsewhereScoresEveryItemWithThatRouter() {
        var seen: [Int] = []
        let extra = RouterEvaluation.TrainingSet(embeddings: [[1, 0], [0, 1]], outcomes: [.strongWins, .weakWins])
        let report = RouterEvaluation.evaluate("probe", benchmark: benchmark, embeddings: embeddings,
                                               plan: .init(extra: extra, includesBenchmark: false), thresholds: 2) { set in
            seen.append(set.embeddings.count)
            return { Double($0[0]) }
        }
        // One router, trained on the two outside battles only.
        #expect(seen == [2])
        #expect(report.winRates == [1, 0, Double(Float(0.9)), Double(Float(0.1))])
    }

    @Test func includingTheBenchmarkCrossValidates() {
        var sizes: [Int] = []
        let extra = RouterEvaluation.TrainingSet(embeddings: [[1, 0]], outcomes: [.strongWins])
        _ = RouterEvaluation.evaluate("probe", benchmark: benchmark, embeddings: embeddings,
                                      plan: .init(extra: extra, includesBenchmark: true, folds: 2, seed: 3), thresholds: 2) { set in
            sizes.append(set.embeddings.count)
            return { _ in 0.5 }
        }
        // Two folds, each trained on the outside battle plus the other half of the benchmark.
        #expect(sizes == [3, 3])
    }

    @Test func thePlotDrawsEveryRouterAndBothModels() {
        let reports = [RouterEvaluation.optimal(benchmark: benchmark), RouterEvaluation.random(benchmark: benchmark, thresholds: 2)]
        let svg = EvaluationPlot.svg(reports, benchmark: benchmark)
        #expect(svg.hasPrefix("<svg"))
        #expect(svg.components(separatedBy: "<polyline").count - 1 == 2)
        #expect(svg.contains("strong model") && svg.contains("weak model"))
        #expect(svg.contains("optimal (APGR") && svg.contains("random (APGR"))
    }
}
