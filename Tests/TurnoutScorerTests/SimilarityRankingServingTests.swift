import Foundation
import Testing
import TurnoutRouting
import TurnoutScorer
import TurnoutScorerAPI
import TurnoutTestSupport
import TurnoutTransport
import TurnoutWire

/// The real `turnout-scorer` serving an sw_ranking artifact, as `turnout train --router sw_ranking` writes one.
@Suite struct SimilarityRankingServingTests {
    /// Battles in six clusters of prompts, each cluster leaning its own way, so win rates differ by prompt.
    struct Battles {
        var embeddings: [[Float]] = []
        var outcomes: [SimilarityWeightedRanking.Outcome] = []
        var centres: [[Float]] = []
        var generator = SeededGenerator(seed: 21)

        init(count: Int) {
            centres = (0..<6).map { _ in (0..<384).map { _ in Float.random(in: -1...1, using: &generator) } }
            for _ in 0..<count {
                let cluster = Int.random(in: 0..<centres.count, using: &generator)
                embeddings.append(near(cluster))
                outcomes.append(Double.random(in: 0..<1, using: &generator) < Double(cluster + 1) / 7 ? .strongWins : [.weakWins, .tie][Int.random(in: 0..<2, using: &generator)])
            }
        }

        mutating func near(_ cluster: Int) -> [Float] {
            centres[cluster].map { $0 + Float.random(in: -0.3...0.3, using: &generator) }
        }
    }

    static func artifact(_ battles: Battles, model: String) -> RouterArtifact {
        let compact = QuantizedSimilarityRanking(dimensions: 384, embeddings: battles.embeddings, outcomes: battles.outcomes)
        var artifact = RouterArtifact(kind: "sw_ranking", embeddingModel: model, embeddingDimensions: 384, hyperparameters: [:], trainingDataSHA256: "test",
                                      trainingBattles: compact.battleCount, calibration: [:], weights: .similarityRanking(compact))
        artifact.calibration = TrainingData.calibration(winRates: battles.embeddings.map(artifact.winRate(for:)))
        return artifact
    }

    @Test func loadsAndScoresLikeTheInMemoryRouter() async throws {
        var battles = Battles(count: 800)
        let artifact = Self.artifact(battles, model: ScorerProcessTests.model)
        let exact = SimilarityWeightedRanking(dimensions: 384, embeddings: battles.embeddings, outcomes: battles.outcomes)
        let directory = TestPaths.temporaryDirectory("routers-sw")
        try artifact.write(to: directory.appendingPathComponent("sw.json"))
        // Made for another embedding model: refused, with the reason logged, while sw serves.
        try Self.artifact(Battles(count: 20), model: "other/model").write(to: directory.appendingPathComponent("foreign.json"))
        let scorer = try await RunningService.start("turnout-scorer", stateDirectory: TestPaths.temporaryDirectory(),
                                                    arguments: ["--routers-dir", directory.path, "--embedder", ""])
        defer { scorer.process.terminate() }
        let client = try WireClient.forTesting([scorer.wireTarget])
        defer { client.shutdown() }

        let listed = try await client.call(ScorerAPI.routers, EmptyMessage())
        #expect(listed.routers.map(\.name) == ["sw"])
        #expect(listed.routers.first?.kind == "sw_ranking")
        #expect(listed.routers.first?.trainingBattles == 800)
        #expect(listed.routers.first?.similarityPass == "int8", "800 rows fit the default scan budget")
        #expect(scorer.process.logLines.contains { $0.contains("rejected") && $0.contains("other/model") })

        var rates: [Double] = []
        for cluster in 0..<6 {
            let query = battles.near(cluster)
            let reply = try await client.call(ScorerAPI.score, ScorerAPI.ScoreRequest(embedding: query, router: "sw", strongFraction: 0.5))
            #expect(abs(reply.winRate - artifact.winRate(for: query)) < 1e-9)
            #expect(abs(reply.winRate - exact.winRate(for: query)) < 1e-3)
            #expect(reply.threshold == artifact.calibration["0.50"])
            #expect(reply.route == (reply.winRate >= reply.threshold ? "strong" : "weak"))
            rates.append(reply.winRate)
        }
        // Clusters where the strong model wins more often score higher.
        #expect((rates.last ?? 0) - (rates.first ?? 0) > 0.1)
    }

    /// A scan budget smaller than a router's int8 rows makes the scorer scan 2-bit copies:
    /// `Scorer/Routers` says so, and the win rates stay close to exact.
    @Test func aSmallScanBudgetServesCoarseRows() async throws {
        var battles = Battles(count: 6000)
        // No calibration: scoring 6,000 prompts against 6,000 rows is all this test would spend.
        let artifact = RouterArtifact(kind: "sw_ranking", embeddingModel: ScorerProcessTests.model, embeddingDimensions: 384, hyperparameters: [:],
                                      trainingDataSHA256: "test", trainingBattles: 6000, calibration: [:],
                                      weights: .similarityRanking(QuantizedSimilarityRanking(dimensions: 384, embeddings: battles.embeddings, outcomes: battles.outcomes)))
        let exact = SimilarityWeightedRanking(dimensions: 384, embeddings: battles.embeddings, outcomes: battles.outcomes)
        let directory = TestPaths.temporaryDirectory("routers-sw-budget")
        try artifact.write(to: directory.appendingPathComponent("sw.json"))
        // 1 MiB: int8 up to 2,730 rows of 384, 4 bits up to 5,461, 2 bits beyond.
        let scorer = try await RunningService.start("turnout-scorer", stateDirectory: TestPaths.temporaryDirectory(),
                                                    arguments: ["--routers-dir", directory.path, "--embedder", "", "--sw-scan-budget-mib", "1"])
        defer { scorer.process.terminate() }
        let client = try WireClient.forTesting([scorer.wireTarget])
        defer { client.shutdown() }
        let listed = try await client.call(ScorerAPI.routers, EmptyMessage())
        #expect(listed.routers.first?.similarityPass == "int2")
        for cluster in 0..<6 {
            let query = battles.near(cluster)
            let reply = try await client.call(ScorerAPI.score, ScorerAPI.ScoreRequest(embedding: query, router: "sw", threshold: 0.5))
            #expect(abs(reply.winRate - exact.winRate(for: query)) < 3e-3)
        }
    }

    /// The default artifact in routers/ (MMLU, from `turnout train --router sw_ranking`) stays loadable.
    @Test func theDefaultArtifactLoadsAndScores() throws {
        let url = TestPaths.packageRoot.appendingPathComponent("routers/sw_ranking.json")
        let artifact = try RouterArtifact.load(from: url, expectedModel: ScorerProcessTests.model, expectedDimensions: 384)
        #expect(artifact.kind == "sw_ranking")
        #expect(artifact.trainingBattles == 14_042)
        let thresholds = artifact.calibration.values.sorted()
        #expect(thresholds.count == 19)
        var generator = SeededGenerator(seed: 8)
        let rate = artifact.winRate(for: (0..<384).map { _ in Float.random(in: -1...1, using: &generator) })
        // MMLU's win rates sit in a narrow band around the calibrated thresholds.
        #expect(rate > (thresholds.first ?? 0) - 0.05 && rate < (thresholds.last ?? 1) + 0.05)
    }
}
