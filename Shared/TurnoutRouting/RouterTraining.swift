import Foundation

/// Trains a router of any kind and seals it: what `turnout train`, `turnout learn` and the
/// benchmarks share, so an artifact is made one way whoever makes it.
public enum RouterTraining {
    public static let kinds = ["mf", "classifier", "sw_ranking", "gain"]

    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// A router of `kind` trained on `items` (with their unit `embeddings`), calibrated on the
    /// same prompts, recording `sources`.
    /// - Parameter weights: how much each example counts (nil: alike). `gain` weighs them in
    ///   its losses, means and hyperparameter choice; the other kinds see an example repeated
    ///   its weight's whole number of times.
    /// - Throws: `Failure` for an unknown kind or embeddings of the wrong size.
    public static func artifact(kind: String, items: [BenchmarkItem], embeddings: [[Float]], weights: [Double]? = nil, seed: UInt64, embeddingModel: String,
                                dimensions: Int, sources: [TrainingSource]?) throws(Failure) -> RouterArtifact {
        guard embeddings.count == items.count, embeddings.allSatisfy({ $0.count == dimensions }), (weights?.count ?? items.count) == items.count else {
            throw Failure(description: "every training prompt needs one \(dimensions)-dimensional embedding (the cache may hold another model's; delete it and retry)")
        }
        if let weights, kind != "gain" {
            // Repetition stands in for weights where the router has none of its own.
            let copies = weights.map { max(1, Int($0.rounded())) }
            let repeated = items.indices.flatMap { Array(repeating: $0, count: copies[$0]) }
            return try artifact(kind: kind, items: repeated.map { items[$0] }, embeddings: repeated.map { embeddings[$0] }, seed: seed,
                                embeddingModel: embeddingModel, dimensions: dimensions, sources: sources)
        }
        let outcomes = items.map(SimilarityWeightedRanking.Outcome.init)
        let trained: RouterArtifact.Weights
        var hyperparameters: [String: Double] = ["seed": Double(seed)]
        switch kind {
        case "mf":
            var settings = MatrixFactorization.Hyperparameters()
            settings.seed = seed
            let decided = outcomes.indices.filter { outcomes[$0] != .tie }
            trained = .matrixFactorization(MatrixFactorization.train(embeddings: decided.map { embeddings[$0] },
                                                                     strongWon: decided.map { outcomes[$0] == .strongWins }, hyperparameters: settings))
            hyperparameters.merge(["dimension": Double(settings.dimension), "learning_rate": Double(settings.learningRate), "weight_decay": Double(settings.weightDecay),
                                   "batch_size": Double(settings.batchSize), "epochs": Double(settings.epochs), "noise": Double(settings.noise)]) { $1 }
        case "classifier":
            let settings = LogisticClassifier.Hyperparameters()
            trained = .classifier(LogisticClassifier(embeddings: embeddings, outcomes: outcomes, hyperparameters: settings))
            hyperparameters.merge(["l2": settings.l2, "iterations": Double(settings.iterations)]) { $1 }
        case "sw_ranking":
            // No training: the battles themselves, int8 per unique prompt (see QuantizedSimilarityRanking).
            trained = .similarityRanking(QuantizedSimilarityRanking(dimensions: dimensions, embeddings: embeddings, outcomes: outcomes))
        case "gain":
            var settings = ExpectedGainRouter.Hyperparameters()
            settings.seed = seed
            let set = RouterEvaluation.TrainingSet(embeddings: embeddings, items: items)
            let router = ExpectedGainRouter(embeddings: set.embeddings, strongScores: set.strongScores, weakScores: set.weakScores, weights: weights,
                                            hyperparameters: settings)
            trained = .expectedGain(router)
            hyperparameters.merge(["l2": router.l2, "neighbours": Double(router.neighbours.neighbours), "prior_weight": settings.priorWeight,
                                   "inner_folds": Double(settings.innerFolds), "iterations": Double(settings.iterations)]) { $1 }
        default:
            throw Failure(description: "router kind must be one of \(kinds.joined(separator: ", ")), got \"\(kind)\"")
        }
        var artifact = RouterArtifact(kind: kind, embeddingModel: embeddingModel, embeddingDimensions: dimensions, hyperparameters: hyperparameters,
                                      trainingDataSHA256: TrainingData.fingerprint(items), trainingBattles: items.count, calibration: [:], weights: trained,
                                      trainingSources: sources)
        artifact.calibration = TrainingData.calibration(winRates: embeddings.map(artifact.winRate(for:)))
        return artifact
    }
}
