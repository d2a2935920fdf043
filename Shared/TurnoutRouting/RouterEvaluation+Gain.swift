extension RouterEvaluation {
    /// `gain`: Turnout's expected-gain router (`ExpectedGainRouter`), cross-validated exactly
    /// as the other routers are (same folds, same seed, same training data per fold). Its
    /// hyperparameters are chosen inside each fold's training data, never on the fold scored.
    ///
    /// Held-out prompts are scored in batches (one matrix product per block of them for the
    /// neighbour search) rather than one at a time, which only changes the speed.
    public static func expectedGain(benchmark: Benchmark, embeddings: [[Float]], plan: TrainingPlan, thresholds: Int,
                                    hyperparameters: ExpectedGainRouter.Hyperparameters = .init()) -> RouterReport {
        func train(_ set: TrainingSet) -> ExpectedGainRouter {
            ExpectedGainRouter(embeddings: set.embeddings, strongScores: set.strongScores, weakScores: set.weakScores, hyperparameters: hyperparameters)
        }
        let count = benchmark.items.count
        var rates = [Double](repeating: 0.5, count: count)
        let scored = plan.servedEmbeddings ?? embeddings
        if plan.includesBenchmark {
            let assignment = CrossValidation.assignFolds(count: count, folds: plan.folds, seed: plan.seed)
            for fold in 0..<max(1, plan.folds) {
                let trainIndices = (0..<count).filter { assignment[$0] != fold }
                let heldOut = (0..<count).filter { assignment[$0] == fold }
                let router = train(plan.extra.adding(self.fold(trainIndices, benchmark: benchmark, embeddings: embeddings)))
                for (index, rate) in zip(heldOut, router.winRates(for: heldOut.map { scored[$0] })) { rates[index] = rate }
            }
        } else {
            rates = train(plan.extra).winRates(for: scored)
        }
        return report(router: "gain", winRates: rates, benchmark: benchmark, thresholds: thresholds)
    }
}
