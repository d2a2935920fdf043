import Foundation
import Testing
import TurnoutRouting

@Suite struct CorrectnessHeadsTests {
    /// With every weight zero, each head is the sigmoid of its bias, and the gain their difference.
    @Test func probabilitiesAndGainFollowTheBiases() {
        let model = CorrectnessHeads(dimensions: 2, weights: [0, 0, 0, 0], biases: [log(3), 0])
        let (strong, weak) = model.probabilities(for: [1, 0])
        #expect(abs(strong - 0.75) < 1e-6)
        #expect(abs(weak - 0.5) < 1e-6)
        #expect(abs(model.gain(for: [0, 1]) - 0.25) < 1e-6)
        // Weights act on the unit embedding: [3, 4] is scored as [0.6, 0.8].
        let weighted = CorrectnessHeads(dimensions: 2, weights: [1, 0, 0, 1], biases: [0, 0])
        let expected = 1 / (1 + exp(-0.6)) - 1 / (1 + exp(-0.8))
        #expect(abs(weighted.gain(for: [3, 4]) - expected) < 1e-6)
        // An embedding of the wrong size gets no preference.
        #expect(weighted.gain(for: [1, 0, 0]) == 0)
    }

    /// The analytic gradient of two pairs of heads (two penalties) matches central differences.
    @Test func gradientMatchesFiniteDifferences() {
        let x: [Float] = [0.6, 0.8, 0, 1, 0.70710677, 0.70710677]
        let targets: [Float] = [1, 0, 0, 1, 1, 0.5]
        let n = 3, d = 2, l2: [Float] = [0.01, 0.01, 0.1, 0.1]
        let k = l2.count
        var theta = (0..<(d * k + k)).map { Float($0 % 5) * 0.1 - 0.2 }
        var scratch = [Float](repeating: 0, count: n * k)
        var gradient = [Float](repeating: 0, count: theta.count)
        CorrectnessHeads.gradient(at: theta, x: x, targets: targets, n: n, d: d, l2: l2, scratch: &scratch, into: &gradient)
        func loss(_ theta: [Float]) -> Double {
            var total = 0.0
            for row in 0..<n {
                for column in 0..<k {
                    let z = Double(theta[d * k + column]) + (0..<d).reduce(0.0) { $0 + Double(x[row * d + $1]) * Double(theta[$1 * k + column]) }
                    let t = Double(targets[row * 2 + column % 2])
                    total += log(1 + exp(-z)) + (1 - t) * z
                }
            }
            let penalty = (0..<(d * k)).reduce(0.0) { $0 + Double(l2[$1 % k]) * Double(theta[$1] * theta[$1]) }
            return total / Double(n) + penalty / 2
        }
        for index in theta.indices {
            let saved = theta[index]
            theta[index] = saved + 1e-3
            let up = loss(theta)
            theta[index] = saved - 1e-3
            let down = loss(theta)
            theta[index] = saved
            #expect(abs((up - down) / 2e-3 - Double(gradient[index])) < 1e-3, "parameter \(index)")
        }
    }

    /// Along x the strong model is right and the weak one wrong; along y both are right.
    @Test func learnsWhereTheStrongModelHelpsAndIsDeterministic() {
        let (embeddings, strong, weak) = Self.twoClusters()
        let model = CorrectnessHeads(embeddings: embeddings, strongScores: strong, weakScores: weak, l2: 1e-4)
        #expect(model.gain(for: [1, 0.05, 0]) > 0.6)
        #expect(abs(model.gain(for: [0.05, 1, 0])) < 0.2)
        let again = CorrectnessHeads(embeddings: embeddings, strongScores: strong, weakScores: weak, l2: 1e-4)
        #expect(again == model)
    }

    /// With labels that are pure noise, the heaviest penalty predicts held-out gains best.
    @Test func selectionPrefersTheHeavyPenaltyOnNoise() {
        var generator = SeededGenerator(seed: 11)
        let embeddings = (0..<240).map { _ in (0..<24).map { _ in Float.random(in: -1...1, using: &generator) } }
        let strong = embeddings.map { _ in Double(Int.random(in: 0...1, using: &generator)) }
        let weak = embeddings.map { _ in Double(Int.random(in: 0...1, using: &generator)) }
        let selection = CorrectnessHeads.selectL2(embeddings: embeddings, strongScores: strong, weakScores: weak,
                                                  grid: [1e-4, 1e-1], fallback: 7, folds: 3, seed: 1)
        #expect(selection.l2 == 1e-1)
        #expect(selection.errors.count == 2 && selection.errors[1] < selection.errors[0])
        // Too little data to cross-validate: the fallback.
        let tiny = CorrectnessHeads.selectL2(embeddings: Array(embeddings.prefix(4)), strongScores: [1, 0, 1, 0], weakScores: [0, 0, 1, 1],
                                             grid: [1e-4, 1e-1], fallback: 7, folds: 3, seed: 1)
        #expect(tiny.l2 == 7 && tiny.errors.isEmpty)
    }

    static func twoClusters() -> ([[Float]], [Double], [Double]) {
        var embeddings: [[Float]] = []
        var strong: [Double] = [], weak: [Double] = []
        for index in 0..<60 {
            let jitter = Float(index % 6) * 0.02
            embeddings.append([1, jitter, 0.1])
            strong.append(1)
            weak.append(0)
            embeddings.append([jitter, 1, 0.1])
            strong.append(1)
            weak.append(1)
        }
        return (embeddings, strong, weak)
    }
}

@Suite struct NeighbourGainTests {
    /// Axis-aligned vectors quantise exactly, so the estimate is checkable by hand.
    @Test func averagesTheNearestGainsShrunkTowardsTheMean() {
        let embeddings: [[Float]] = [[1, 0], [0.8, 0.6], [0, 1], [-1, 0]]
        let gains: [Double] = [1, 1, -1, 0]
        let store = NeighbourGain(embeddings: embeddings, gains: gains, neighbours: 2, priorWeight: 2)
        // Nearest to [1, 0.1]: rows 0 and 1; mean gain 0.25; (1 + 1 + 2 * 0.25) / (2 + 2).
        #expect(abs(store.gain(for: [1, 0.1]) - 0.625) < 1e-9)
        // Nearest to [0, 1]: rows 2 (sim 1) and 1 (sim 0.6): (-1 + 1 + 0.5) / 4.
        #expect(abs(store.gain(for: [0, 1]) - 0.125) < 1e-9)
        // k larger than the store averages all of it: (1 + 1 - 1 + 0 + 0.5) / 6.
        #expect(abs(store.with(neighbours: 10).gain(for: [0, 1]) - 0.25) < 1e-9)
        #expect(store.gain(for: [1, 0, 0]) == 0)
        #expect(NeighbourGain(embeddings: [], gains: [], neighbours: 3).gain(for: [1, 0]) == 0)
        // The batch path agrees with the single one.
        let batch = store.gains(for: [[1, 0.1], [0, 1], [1, 0, 0]])
        #expect(abs(batch[0] - 0.625) < 1e-9 && abs(batch[1] - 0.125) < 1e-9 && batch[2] == 0)
    }

    /// A single query (the scorer's integer kernel) and a batch (evaluation's matrix product)
    /// agree: the same neighbours but where similarities tie to about 1e-5, and then one swapped
    /// neighbour moves the estimate by at most 2 / (k + prior).
    @Test func theScorersPathAgreesWithEvaluations() {
        var generator = SeededGenerator(seed: 11)
        func vector() -> [Float] { (0..<384).map { _ in Float.random(in: -1...1, using: &generator) } }
        let centres = (0..<6).map { _ in vector() }
        func near(_ centre: [Float], spread: Float) -> [Float] {
            let noise = vector()
            return (0..<384).map { centre[$0] + spread * noise[$0] }
        }
        let embeddings: [[Float]] = (0..<3000).map { row in near(centres[row % 6], spread: 0.4) }
        let gains: [Double] = (0..<3000).map { _ in Double(Int.random(in: -1...1, using: &generator)) }
        let store = NeighbourGain(embeddings: embeddings, gains: gains, neighbours: 50)
        let queries: [[Float]] = (0..<100).map { index in near(centres[index % 6], spread: 0.5) }
        let batch = store.gains(for: queries)
        let single = queries.map(store.gain(for:))
        let differences: [Double] = zip(batch, single).map { abs($0 - $1) }
        #expect(differences.filter { $0 > 1e-9 }.count <= 5)
        let bound: Double = 2 * 2 / (50 + store.priorWeight) + 1e-9
        #expect((differences.max() ?? 0) <= bound)
        let distinct = Set(single.map { ($0 * 1e6).rounded() })
        #expect(distinct.count > 10, "the gains vary, so the comparison means something")
    }

    /// Equal similarities go to the lower index, whatever the order they are met in.
    @Test func tiesAreBrokenByIndex() {
        let embeddings: [[Float]] = [[1, 0], [0, 1], [1, 0], [1, 0]]
        let store = NeighbourGain(embeddings: embeddings, gains: [1, 0, -1, -1], neighbours: 1, priorWeight: 0)
        #expect(store.gain(for: [1, 0]) == 1)
    }

    /// Four clusters of 30 with alternating gains: 25 neighbours stay in a cluster, 50 do not.
    @Test func leaveOneOutChoosesTheNeighbourhoodThatFitsTheClusters() {
        var embeddings: [[Float]] = []
        var gains: [Double] = []
        for cluster in 0..<4 {
            for index in 0..<30 {
                var vector = [Float](repeating: 0, count: 4)
                vector[cluster] = 1
                vector[(cluster + 1) % 4] = Float(index) * 0.002
                embeddings.append(vector)
                gains.append(cluster % 2 == 0 ? 1 : -1)
            }
        }
        let store = NeighbourGain(embeddings: embeddings, gains: gains, neighbours: 1)
        let selection = store.selectNeighbours(grid: [25, 50, 100, 500], fallback: 3)
        #expect(selection.neighbours == 25)
        #expect(selection.errors.count == 3, "500 is not below the 120 stored prompts and is dropped")
        let fallback = store.selectNeighbours(grid: [500], fallback: 3)
        #expect(fallback.neighbours == 3 && fallback.errors.isEmpty)
    }
}

@Suite struct ExpectedGainRouterTests {
    @Test func ranksWhereTheStrongModelHelpsFirstAndIsDeterministic() {
        let (embeddings, strong, weak) = CorrectnessHeadsTests.twoClusters()
        var settings = ExpectedGainRouter.Hyperparameters()
        settings.neighbourGrid = [5, 10]
        let router = ExpectedGainRouter(embeddings: embeddings, strongScores: strong, weakScores: weak, hyperparameters: settings)
        let helps = router.winRate(for: [1, 0.03, 0.1]), bothRight = router.winRate(for: [0.03, 1, 0.1])
        #expect(helps > 0.8)
        #expect(abs(bothRight - 0.5) < 0.15, "both models right: a strong call buys little")
        #expect(helps > bothRight + 0.25)
        // The win rate is (1 + the mean of the two estimates) / 2. (Off the line between the
        // clusters: on it, neighbours tie and rounding picks them, differently for one query and a batch.)
        let query: [Float] = [0.7, 0.6, 0.1]
        let expected = (1 + (router.heads.gain(for: query) + router.neighbours.gain(for: query)) / 2) / 2
        #expect(abs(router.winRate(for: query) - expected) < 1e-12)
        #expect(abs(router.winRates(for: [query])[0] - expected) < 1e-6)
        let again = ExpectedGainRouter(embeddings: embeddings, strongScores: strong, weakScores: weak, hyperparameters: settings)
        #expect(again.heads == router.heads && again.l2 == router.l2)
        #expect(again.neighbours.neighbours == router.neighbours.neighbours && again.neighbours.codes == router.neighbours.codes)
        #expect(settings.l2Grid.contains(router.l2) && settings.neighbourGrid.contains(router.neighbours.neighbours))
    }

    /// A tie scored from an outcome alone (no correctness) counts half a point each way.
    @Test func outcomeOnlyTrainingDataScoresTiesAsHalves() {
        let set = RouterEvaluation.TrainingSet(embeddings: [[1], [1], [1]], outcomes: [.strongWins, .tie, .weakWins])
        #expect(set.strongScores == [1, 0.5, 0] && set.weakScores == [0, 0.5, 1])
        let judged = RouterEvaluation.TrainingSet(embeddings: [[1]], items: [BenchmarkItem(prompt: "", strongScore: 10, weakScore: 5.5)], scale: .judgeScore)
        #expect(judged.strongScores == [1] && judged.weakScores == [0.5])
    }
}

@Suite struct ExpectedGainEvaluationTests {
    /// The evaluation scores each item with a router trained on the other folds of the same
    /// split the other routers use, and on nothing else.
    @Test func crossValidatesOnTheSharedFolds() {
        let (embeddings, strong, weak) = CorrectnessHeadsTests.twoClusters()
        let items = zip(strong, weak).map { BenchmarkItem(prompt: "", strongScore: $0, weakScore: $1) }
        let benchmark = Benchmark(name: "tiny", strongModel: "s", weakModel: "w", items: items)
        var settings = ExpectedGainRouter.Hyperparameters()
        settings.neighbourGrid = [5, 10]
        let report = RouterEvaluation.expectedGain(benchmark: benchmark, embeddings: embeddings, plan: .init(folds: 3, seed: 4), thresholds: 4,
                                                   hyperparameters: settings)
        let folds = CrossValidation.assignFolds(count: items.count, folds: 3, seed: 4)
        for fold in 0..<3 {
            let train = items.indices.filter { folds[$0] != fold }
            let router = ExpectedGainRouter(embeddings: train.map { embeddings[$0] }, strongScores: train.map { strong[$0] },
                                            weakScores: train.map { weak[$0] }, hyperparameters: settings)
            for index in items.indices where folds[index] == fold {
                #expect(abs(report.winRates[index] - router.winRate(for: embeddings[index])) < 1e-6)
            }
        }
        #expect(report.router == "gain")
        // Sending the x cluster first is the best any router can do here: APGR 0.75.
        #expect(report.apgr > 0.7)
    }

    /// Served embeddings (a reduced-precision encoder, a shorter cut) are what the routers
    /// score; they still train on the reference ones. Swapping the clusters' axes in the served
    /// vectors makes every router send the wrong cluster first, which only holds if they score them.
    @Test func routersTrainOnTheReferenceAndScoreTheServedEmbeddings() {
        let (embeddings, strong, weak) = CorrectnessHeadsTests.twoClusters()
        let items = zip(strong, weak).map { BenchmarkItem(prompt: "", strongScore: $0, weakScore: $1) }
        let benchmark = Benchmark(name: "tiny", strongModel: "s", weakModel: "w", items: items)
        var settings = ExpectedGainRouter.Hyperparameters()
        settings.neighbourGrid = [5, 10]
        let swapped = embeddings.map { [$0[1], $0[0], $0[2]] }
        func reports(_ served: [[Float]]?) -> [RouterReport] {
            let plan = RouterEvaluation.TrainingPlan(folds: 3, seed: 4, servedEmbeddings: served)
            return [RouterEvaluation.expectedGain(benchmark: benchmark, embeddings: embeddings, plan: plan, thresholds: 4, hyperparameters: settings),
                    RouterEvaluation.classifier(benchmark: benchmark, embeddings: embeddings, plan: plan, thresholds: 4)]
        }
        let reference = reports(nil), same = reports(embeddings), wrong = reports(swapped)
        for (base, identical, misled) in zip(zip(reference, same), wrong).map({ ($0.0, $0.1, $1) }) {
            #expect(base.winRates == identical.winRates, "\(base.router): served embeddings equal to the training ones change nothing")
            #expect(base.apgr > 0.7)
            #expect(misled.apgr < 0.3, "\(misled.router) scored the swapped vectors: the wrong cluster goes strong first")
        }
    }
}

@Suite struct ExpectedGainArtifactTests {
    @Test func roundTripsAndScoresTheSame() throws {
        let (embeddings, strong, weak) = CorrectnessHeadsTests.twoClusters()
        var settings = ExpectedGainRouter.Hyperparameters()
        settings.neighbourGrid = [5, 10]
        let router = ExpectedGainRouter(embeddings: embeddings, strongScores: strong, weakScores: weak, hyperparameters: settings)
        let artifact = RouterArtifact(kind: "gain", embeddingModel: "test-model", embeddingDimensions: 3, hyperparameters: ["l2": router.l2],
                                      trainingDataSHA256: "", trainingBattles: embeddings.count, calibration: [:], weights: .expectedGain(router))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gain-artifact-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("gain.json")
        try artifact.write(to: url)
        let loaded = try RouterArtifact.load(from: url, expectedModel: "test-model", expectedDimensions: 3)
        #expect(loaded.kind == "gain")
        guard case let .expectedGain(decoded) = loaded.weights else {
            Issue.record("the weights decode as another kind")
            return
        }
        #expect(decoded.heads == router.heads && decoded.l2 == router.l2)
        #expect(decoded.neighbours.codes == router.neighbours.codes && decoded.neighbours.scales == router.neighbours.scales)
        #expect(decoded.neighbours.gains == router.neighbours.gains && decoded.neighbours.neighbours == router.neighbours.neighbours)
        for query: [Float] in [[1, 0, 0], [0, 1, 0], [0.5, 0.5, 0.2]] {
            #expect(loaded.winRate(for: query) == router.winRate(for: query))
        }
    }

    /// A store whose lengths disagree is refused when decoded, not when first scored.
    @Test func aMalformedStoreIsRefused() throws {
        let codes = Data([127, 0, 0, 127]).base64EncodedString()
        let scales = Data([0, 0, 128, 63]).base64EncodedString()
        func json(gains: String, codes: String, scales: String, neighbours: Int = 1) -> Data {
            Data("{\"dimensions\":2,\"neighbours\":\(neighbours),\"prior_weight\":5,\"gains\":\(gains),\"codes\":\"\(codes)\",\"scales\":\"\(scales)\"}".utf8)
        }
        // One row: 2 codes and 4 scale bytes (1.0f).
        let valid = try JSONDecoder().decode(NeighbourGain.self, from: json(gains: "[1]", codes: Data([127, 0]).base64EncodedString(), scales: scales))
        #expect(valid.count == 1 && valid.scales == [1])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(NeighbourGain.self, from: json(gains: "[1]", codes: codes, scales: scales)) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(NeighbourGain.self, from: json(gains: "[1, 0]", codes: codes, scales: scales)) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(NeighbourGain.self, from: json(gains: "[2]", codes: Data([127, 0]).base64EncodedString(), scales: scales)) }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(NeighbourGain.self, from: json(gains: "[1]", codes: Data([127, 0]).base64EncodedString(), scales: scales, neighbours: 0))
        }
        let heads = Data("{\"dimensions\":2,\"weights\":[1,2,3],\"biases\":[0,0]}".utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(CorrectnessHeads.self, from: heads) }
    }
}
