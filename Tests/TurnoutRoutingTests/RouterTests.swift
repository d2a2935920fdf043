import Foundation
import Testing
import TurnoutRouting

@Suite struct SimilarityWeightedRankingTests {
    /// Two clusters of prompts: near x the strong model wins, near y the weak one does.
    func router() -> SimilarityWeightedRanking {
        let x: [Float] = [1, 0, 0], y: [Float] = [0, 1, 0]
        var embeddings: [[Float]] = []
        var outcomes: [SimilarityWeightedRanking.Outcome] = []
        for index in 0..<20 {
            let jitter = Float(index) * 0.01
            embeddings.append([1, jitter, 0.1])
            outcomes.append(index < 16 ? .strongWins : .tie)
            embeddings.append([jitter, 1, 0.1])
            outcomes.append(index < 16 ? .weakWins : .tie)
        }
        _ = (x, y)
        return SimilarityWeightedRanking(dimensions: 3, embeddings: embeddings, outcomes: outcomes)
    }

    @Test func similarBattlesDominateTheWinRate() {
        let router = router()
        let nearStrong = router.winRate(for: [1, 0.05, 0.1])
        let nearWeak = router.winRate(for: [0.05, 1, 0.1])
        #expect(nearStrong > 0.5)
        #expect(nearWeak < 0.5)
        // Symmetric data, mirrored query: the two win rates sum to one.
        #expect(abs(nearStrong + nearWeak - 1) < 1e-9)
    }

    @Test func theWinRateMatchesTheWeightedClosedForm() {
        let embeddings: [[Float]] = [[1, 0], [0.6, 0.8], [0, 1]]
        let router = SimilarityWeightedRanking(dimensions: 2, embeddings: embeddings, outcomes: [.strongWins, .tie, .weakWins])
        let query: [Float] = [1, 0]
        // sims 1, 0.6, 0; max 1; weights 10 * 10^sim.
        let w = [100.0, 10 * pow(10, 0.6), 10.0]
        let expected = (w[0] + w[1] / 2) / (w[0] + w[1] + w[2])
        #expect(abs(router.winRate(for: query) - expected) < 1e-6)
    }

    @Test func goldenLabelsFollowTheOutcomes() {
        #expect(SimilarityWeightedRanking.Outcome(BenchmarkItem(prompt: "", strongScore: 1, weakScore: 0)) == .strongWins)
        #expect(SimilarityWeightedRanking.Outcome(BenchmarkItem(prompt: "", strongScore: 0, weakScore: 1)) == .weakWins)
        #expect(SimilarityWeightedRanking.Outcome(BenchmarkItem(prompt: "", strongScore: 1, weakScore: 1)) == .tie)
        #expect(SimilarityWeightedRanking.Outcome(BenchmarkItem(prompt: "", strongScore: 0, weakScore: 0)) == .tie)
    }
}

@Suite struct CrossValidationTests {
    @Test func foldsAreBalancedSeededAndDisjoint() {
        let folds = CrossValidation.assignFolds(count: 103, folds: 5, seed: 7)
        let sizes = (0..<5).map { fold in folds.filter { $0 == fold }.count }
        #expect(sizes.max()! - sizes.min()! <= 1)
        #expect(CrossValidation.assignFolds(count: 103, folds: 5, seed: 7) == folds)
        #expect(CrossValidation.assignFolds(count: 103, folds: 5, seed: 8) != folds)
    }

    @Test func noItemIsScoredByARouterTrainedOnIt() {
        var violations = 0
        _ = CrossValidation.heldOutWinRates(count: 50, folds: 5, seed: 1) { train in
            let trained = Set(train)
            return { index in
                if trained.contains(index) { violations += 1 }
                return 0.5
            }
        }
        #expect(violations == 0)
    }
}

@Suite struct LogisticClassifierTests {
    /// Separable classes along three directions: the fit must put most mass on the right class.
    @Test func learnsSeparableClassesAndIsDeterministic() {
        var embeddings: [[Float]] = []
        var outcomes: [SimilarityWeightedRanking.Outcome] = []
        let directions: [([Float], SimilarityWeightedRanking.Outcome)] = [([1, 0, 0], .strongWins), ([0, 1, 0], .tie), ([0, 0, 1], .weakWins)]
        for index in 0..<60 {
            let (direction, outcome) = directions[index % 3]
            let jitter = Float(index % 7) * 0.02
            embeddings.append(direction.map { $0 + jitter })
            outcomes.append(outcome)
        }
        let model = LogisticClassifier(embeddings: embeddings, outcomes: outcomes)
        #expect(model.winRate(for: [1, 0, 0]) > 0.8)
        #expect(model.winRate(for: [0, 0, 1]) < 0.1)
        #expect(model.probabilities(for: [0, 1, 0])[1] > 0.8)
        let again = LogisticClassifier(embeddings: embeddings, outcomes: outcomes)
        #expect(again.weights == model.weights && again.biases == model.biases)
        let probabilities = model.probabilities(for: [0.3, 0.3, 0.3])
        #expect(abs(probabilities.reduce(0, +) - 1) < 1e-9)
    }

    /// The analytic gradient matches central finite differences of the loss.
    @Test func gradientMatchesFiniteDifferences() {
        let x: [Float] = [0.6, 0.8, 0, 1, 0.5, 0.5, 0.70710677, 0, 0.70710677]
        let labels = [0, 1, 2]
        let n = 3, d = 3, k = 3
        var theta = (0..<(d * k + k)).map { Float($0 % 5) * 0.1 - 0.2 }
        var logits = [Float](repeating: 0, count: n * k)
        var gradient = [Float](repeating: 0, count: theta.count)
        let l2: Float = 0.01
        LogisticClassifier.gradient(at: theta, x: x, labels: labels, n: n, d: d, l2: l2, logits: &logits, into: &gradient)
        func loss(_ theta: [Float]) -> Double {
            var total = 0.0
            for row in 0..<n {
                var z = (0..<k).map { c in Double(theta[d * k + c]) + (0..<d).reduce(0.0) { $0 + Double(x[row * d + $1]) * Double(theta[$1 * k + c]) } }
                let largest = z.max() ?? 0
                z = z.map { $0 - largest }
                total -= z[labels[row]] - log(z.map(exp).reduce(0, +))
            }
            let penalty = (0..<(d * k)).reduce(0.0) { $0 + Double(theta[$1] * theta[$1]) }
            return total / Double(n) + Double(l2) / 2 * penalty
        }
        for index in theta.indices {
            let saved = theta[index]
            theta[index] = saved + 1e-3
            let up = loss(theta)
            theta[index] = saved - 1e-3
            let down = loss(theta)
            theta[index] = saved
            #expect(abs((up - down) / 2e-3 - Double(gradient[index])) < 1e-3)
        }
    }
}

@Suite struct MatrixFactorizationTests {
    /// The hand-derived gradient (through the normalisation of P) matches finite differences.
    @Test func gradientMatchesFiniteDifferences() {
        let model = MatrixFactorization(embeddingDimensions: 5, dimension: 4, seed: 3)
        var generator = SeededGenerator(seed: 9)
        let inputs = (0..<(3 * 5)).map { _ in Float.random(in: -1...1, using: &generator) }
        let outcomes = [true, false, true]
        let (_, gradient) = model.lossAndGradient(inputs: inputs, strongWon: outcomes)
        let parameters = model.modelVectors + model.projection + model.classifier
        #expect(gradient.count == parameters.count)
        for index in parameters.indices {
            func loss(shift: Float) -> Double {
                var shifted = model
                var values = parameters
                values[index] += shift
                shifted.modelVectors = Array(values[0..<8])
                shifted.projection = Array(values[8..<28])
                shifted.classifier = Array(values[28...])
                return shifted.lossAndGradient(inputs: inputs, strongWon: outcomes).0
            }
            let numeric = (loss(shift: 1e-2) - loss(shift: -1e-2)) / 2e-2
            #expect(abs(numeric - Double(gradient[index])) < 2e-3, "parameter \(index): \(numeric) vs \(gradient[index])")
        }
    }

    @Test func learnsWhichPromptsTheStrongModelWins() {
        var embeddings: [[Float]] = []
        var strongWon: [Bool] = []
        for index in 0..<200 {
            let strong = index % 2 == 0
            let jitter = Float(index % 10) * 0.01
            embeddings.append(strong ? [1, jitter, 0] : [jitter, 1, 0])
            strongWon.append(strong)
        }
        var hyperparameters = MatrixFactorization.Hyperparameters()
        hyperparameters.dimension = 8
        hyperparameters.epochs = 60
        hyperparameters.learningRate = 0.01
        let model = MatrixFactorization.train(embeddings: embeddings, strongWon: strongWon, hyperparameters: hyperparameters)
        #expect(model.winRate(for: [1, 0, 0]) > 0.8)
        #expect(model.winRate(for: [0, 1, 0]) < 0.2)
        let again = MatrixFactorization.train(embeddings: embeddings, strongWon: strongWon, hyperparameters: hyperparameters)
        #expect(again.projection == model.projection, "training is deterministic for a seed")
    }
}

@Suite struct MatrixFactorizationFoldingTests {
    /// The folded scoring vector gives the same win rate as the full model.
    @Test func foldedScoringMatchesTheModel() {
        let model = MatrixFactorization(embeddingDimensions: 16, dimension: 8, seed: 5)
        let folded = model.scoringVector()
        var generator = SeededGenerator(seed: 2)
        for _ in 0..<20 {
            let query = (0..<16).map { _ in Float.random(in: -1...1, using: &generator) }
            #expect(abs(model.winRate(for: query) - MatrixFactorization.winRate(scoringVector: folded, embedding: query)) < 1e-5)
        }
        let artifact = RouterArtifact(kind: "mf", embeddingModel: "m", embeddingDimensions: 16, hyperparameters: [:], trainingDataSHA256: "",
                                      trainingBattles: 0, calibration: [:], weights: .matrixFactorization(model))
        let query = [Float](repeating: 0.25, count: 16)
        #expect(abs(artifact.winRate(for: query) - model.winRate(for: query)) < 1e-5)
    }
}
