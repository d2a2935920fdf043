/// One router's results on one benchmark: RouteLLM's metrics and the curve behind them.
public struct RouterReport: Sendable, Codable {
    public var router: String
    public var apgr: Double
    public var auc: Double
    public var cpt20: Double
    public var cpt50: Double
    public var cpt80: Double
    public var curve: [CurvePoint]
    /// The held-out win rate of every item, in benchmark order (not written to JSON).
    public var winRates: [Double] = []

    enum CodingKeys: String, CodingKey {
        case router, apgr, auc, cpt20, cpt50, cpt80, curve
    }
}

/// Evaluates routers on a benchmark the way RouteLLM does, with cross-validation where the
/// router is trained on the benchmark itself.
public enum RouterEvaluation {
    /// Metrics for a set of held-out win rates.
    public static func report(router: String, winRates: [Double], benchmark: Benchmark, thresholds: Int) -> RouterReport {
        let curve = RouterMetrics.curve(winRates: winRates, items: benchmark.items,
                                        thresholds: RouterMetrics.quantileThresholds(winRates, count: thresholds))
        var result = report(router: router, curve: curve, benchmark: benchmark)
        result.winRates = winRates
        return result
    }

    static func report(router: String, curve: [CurvePoint], benchmark: Benchmark) -> RouterReport {
        let strong = benchmark.strongQuality, weak = benchmark.weakQuality
        return RouterReport(
            router: router, apgr: RouterMetrics.apgr(curve, strongQuality: strong, weakQuality: weak), auc: RouterMetrics.auc(curve),
            cpt20: RouterMetrics.cpt(curve, fraction: 0.2, strongQuality: strong, weakQuality: weak),
            cpt50: RouterMetrics.cpt(curve, fraction: 0.5, strongQuality: strong, weakQuality: weak),
            cpt80: RouterMetrics.cpt(curve, fraction: 0.8, strongQuality: strong, weakQuality: weak),
            curve: curve)
    }

    /// The random router, averaged over `seeds` seeds: metrics and curve points are means.
    public static func random(benchmark: Benchmark, thresholds: Int, seeds: Int = 10) -> RouterReport {
        var reports: [RouterReport] = []
        for seed in 0..<seeds {
            var generator = SeededGenerator(seed: UInt64(seed))
            let rates = benchmark.items.map { _ in Double.random(in: 0..<1, using: &generator) }
            reports.append(report(router: "random", winRates: rates, benchmark: benchmark, thresholds: thresholds))
        }
        let n = Double(reports.count)
        var mean = reports[0]
        mean.apgr = reports.reduce(0) { $0 + $1.apgr } / n
        mean.auc = reports.reduce(0) { $0 + $1.auc } / n
        mean.cpt20 = reports.reduce(0) { $0 + $1.cpt20 } / n
        mean.cpt50 = reports.reduce(0) { $0 + $1.cpt50 } / n
        mean.cpt80 = reports.reduce(0) { $0 + $1.cpt80 } / n
        mean.curve = mean.curve.indices.map { index in
            CurvePoint(threshold: reports.reduce(0) { $0 + $1.curve[index].threshold } / n,
                       strongShare: reports.reduce(0) { $0 + $1.curve[index].strongShare } / n,
                       quality: reports.reduce(0) { $0 + $1.curve[index].quality } / n)
        }
        return mean
    }

    /// The optimal router's curve at shares 0, 0.1, ..., 1.
    public static func optimal(benchmark: Benchmark) -> RouterReport {
        let curve = (0...10).map { step -> CurvePoint in
            let share = Double(step) / 10
            return CurvePoint(threshold: 0, strongShare: share, quality: RouterMetrics.optimalQuality(items: benchmark.items, share: share))
        }
        return report(router: "optimal", curve: curve, benchmark: benchmark)
    }

    /// Training data for a router: unit prompt embeddings and their golden outcomes.
    public struct TrainingSet: Sendable {
        public var embeddings: [[Float]]
        public var outcomes: [SimilarityWeightedRanking.Outcome]
        /// Each example's score of the strong and of the weak model on 0...1, for routers that
        /// model each model's quality rather than the battle (`gain`): a benchmark's
        /// correctness keeps "both right" apart from "both wrong", which an outcome cannot.
        public var strongScores: [Double]
        public var weakScores: [Double]

        /// From outcomes alone: a win scores 1 against 0, a tie 0.5 each.
        public init(embeddings: [[Float]] = [], outcomes: [SimilarityWeightedRanking.Outcome] = []) {
            self.embeddings = embeddings
            self.outcomes = outcomes
            strongScores = outcomes.map { $0 == .strongWins ? 1 : $0 == .tie ? 0.5 : 0 }
            weakScores = outcomes.map { $0 == .weakWins ? 1 : $0 == .tie ? 0.5 : 0 }
        }

        /// From benchmark items or labelled battles: their outcomes, and their scores on 0...1
        /// (a judge's 1-10 mapped linearly onto it).
        public init(embeddings: [[Float]], items: [BenchmarkItem], scale: Benchmark.Scale = .correctness) {
            self.embeddings = embeddings
            outcomes = items.map(SimilarityWeightedRanking.Outcome.init)
            func unit(_ score: Double) -> Double {
                switch scale {
                case .correctness: min(1, max(0, score))
                case .judgeScore: min(1, max(0, (score - 1) / 9))
                }
            }
            strongScores = items.map { unit($0.strongScore) }
            weakScores = items.map { unit($0.weakScore) }
        }

        func adding(_ other: TrainingSet) -> TrainingSet {
            var sum = TrainingSet(embeddings: embeddings + other.embeddings, outcomes: outcomes + other.outcomes)
            sum.strongScores = strongScores + other.strongScores
            sum.weakScores = weakScores + other.weakScores
            return sum
        }
    }

    /// Where a router's training data comes from, relative to the benchmark it is scored on.
    public struct TrainingPlan: Sendable {
        /// Battles from elsewhere (other benchmarks, preference data), used whole.
        public var extra: TrainingSet
        /// Whether the benchmark's own golden labels are trained on too, which calls for
        /// K-fold cross-validation so that no question is scored by a router trained on it.
        public var includesBenchmark: Bool
        public var folds: Int
        public var seed: UInt64
        /// The benchmark's embeddings as the embedder serves them, when that differs from how
        /// the routers' training embeddings were computed (a reduced-precision encoder, or the
        /// routed text cut shorter): routers train on the reference embeddings and score these,
        /// as a deployed artifact trained offline scores the queries it is sent. Nil scores the
        /// training embeddings themselves.
        public var servedEmbeddings: [[Float]]?

        public init(extra: TrainingSet = TrainingSet(), includesBenchmark: Bool = true, folds: Int = 5, seed: UInt64 = 0,
                    servedEmbeddings: [[Float]]? = nil) {
            self.extra = extra
            self.includesBenchmark = includesBenchmark
            self.folds = folds
            self.seed = seed
            self.servedEmbeddings = servedEmbeddings
        }
    }

    /// Scores every benchmark item with a router trained by `train` per `plan`.
    public static func evaluate(_ router: String, benchmark: Benchmark, embeddings: [[Float]], plan: TrainingPlan, thresholds: Int,
                                train: (TrainingSet) -> ([Float]) -> Double) -> RouterReport {
        let rates: [Double]
        let scored = plan.servedEmbeddings ?? embeddings
        if plan.includesBenchmark {
            rates = CrossValidation.heldOutWinRates(count: benchmark.items.count, folds: plan.folds, seed: plan.seed) { indices in
                let scorer = train(plan.extra.adding(fold(indices, benchmark: benchmark, embeddings: embeddings)))
                return { index in scorer(scored[index]) }
            }
        } else {
            let scorer = train(plan.extra)
            rates = scored.map(scorer)
        }
        return report(router: router, winRates: rates, benchmark: benchmark, thresholds: thresholds)
    }

    /// The benchmark items at `indices` as training data.
    static func fold(_ indices: [Int], benchmark: Benchmark, embeddings: [[Float]]) -> TrainingSet {
        TrainingSet(embeddings: indices.map { embeddings[$0] }, items: indices.map { benchmark.items[$0] }, scale: benchmark.scale)
    }

    /// `sw_ranking`.
    public static func swRanking(benchmark: Benchmark, embeddings: [[Float]], plan: TrainingPlan, thresholds: Int) -> RouterReport {
        evaluate("sw_ranking", benchmark: benchmark, embeddings: embeddings, plan: plan, thresholds: thresholds) { set in
            let router = SimilarityWeightedRanking(dimensions: embeddings.first?.count ?? 0, embeddings: set.embeddings, outcomes: set.outcomes)
            return { router.winRate(for: $0) }
        }
    }

    /// The logistic classifier.
    public static func classifier(benchmark: Benchmark, embeddings: [[Float]], plan: TrainingPlan, thresholds: Int,
                                  hyperparameters: LogisticClassifier.Hyperparameters = .init()) -> RouterReport {
        evaluate("classifier", benchmark: benchmark, embeddings: embeddings, plan: plan, thresholds: thresholds) { set in
            let model = LogisticClassifier(embeddings: set.embeddings, outcomes: set.outcomes, hyperparameters: hyperparameters)
            return { model.winRate(for: $0) }
        }
    }

    /// Matrix factorization (ties dropped from training).
    public static func matrixFactorization(benchmark: Benchmark, embeddings: [[Float]], plan: TrainingPlan, thresholds: Int,
                                           hyperparameters: MatrixFactorization.Hyperparameters = .init()) -> RouterReport {
        evaluate("mf", benchmark: benchmark, embeddings: embeddings, plan: plan, thresholds: thresholds) { set in
            let decided = set.outcomes.indices.filter { set.outcomes[$0] != .tie }
            let model = MatrixFactorization.train(embeddings: decided.map { set.embeddings[$0] }, strongWon: decided.map { set.outcomes[$0] == .strongWins },
                                                  hyperparameters: hyperparameters)
            let folded = model.scoringVector()
            return { MatrixFactorization.winRate(scoringVector: folded, embedding: $0) }
        }
    }

    /// Rank-averaged ensemble of several routers' held-out win rates: each router's rates are
    /// turned into quantile ranks (so differently calibrated routers weigh alike), then averaged.
    public static func rankEnsemble(_ name: String, winRates: [[Double]], benchmark: Benchmark, thresholds: Int) -> RouterReport {
        let count = benchmark.items.count
        var combined = [Double](repeating: 0, count: count)
        for rates in winRates {
            let order = rates.indices.sorted { rates[$0] < rates[$1] }
            for (rank, index) in order.enumerated() { combined[index] += Double(rank) / Double(max(1, count - 1)) / Double(winRates.count) }
        }
        return report(router: name, winRates: combined, benchmark: benchmark, thresholds: thresholds)
    }

    /// A Markdown table of reports.
    public static func markdown(_ reports: [RouterReport], benchmark: Benchmark) -> String {
        var text = "| router | APGR | CPT(20%) | CPT(50%) | CPT(80%) |\n|---|---|---|---|---|\n"
        for report in reports {
            text += "| \(report.router) | \(fixed(report.apgr, 3)) | \(fixed(report.cpt20 * 100, 1))% | \(fixed(report.cpt50 * 100, 1))% | \(fixed(report.cpt80 * 100, 1))% |\n"
        }
        switch benchmark.scale {
        case .correctness:
            text += "\n\(benchmark.name): \(benchmark.items.count) questions, strong \(fixed(benchmark.strongQuality * 100, 2))%, weak \(fixed(benchmark.weakQuality * 100, 2))%\n"
        case .judgeScore:
            text += "\n\(benchmark.name): \(benchmark.items.count) questions, mean judge score (1-10) strong \(fixed(benchmark.strongQuality, 3)), weak \(fixed(benchmark.weakQuality, 3))\n"
        }
        return text
    }

    static func fixed(_ value: Double, _ digits: Int) -> String {
        let scale = pow10(digits)
        let rounded = (value * scale).rounded() / scale
        var text = String(rounded)
        if let dot = text.firstIndex(of: ".") {
            let decimals = text.distance(from: dot, to: text.endIndex) - 1
            if decimals < digits { text += String(repeating: "0", count: digits - decimals) }
        } else {
            text += "." + String(repeating: "0", count: digits)
        }
        return text
    }

    static func pow10(_ digits: Int) -> Double {
        (0..<digits).reduce(1.0) { value, _ in value * 10 }
    }
}
