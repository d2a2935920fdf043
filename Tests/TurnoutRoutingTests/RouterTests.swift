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
