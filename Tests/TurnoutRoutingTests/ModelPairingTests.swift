import Foundation
import Testing
import TurnoutRouting

@Suite struct ModelPairingTests {
    func battle(_ prompt: String, _ a: String, _ b: String, _ winner: Battle.Winner) -> Battle {
        Battle(prompt: prompt, modelA: a, modelB: b, winner: winner)
    }

    @Test func namesMatchWithoutCaseOrOrganisation() {
        #expect(ModelPairing.normalizedName("mistralai/Mixtral-8x7B-Instruct-v0.1") == "mixtral-8x7b-instruct-v0.1")
        #expect(ModelPairing.normalizedName(" GPT-4-1106-preview ") == "gpt-4-1106-preview")
        #expect(ModelPairing.normalizedName("claude-2.1") != ModelPairing.normalizedName("claude-2.0"))
    }

    /// Exact pairing keeps only the two models' battles, from the strong model's side
    /// whichever column it is in; ties of both kinds are ties.
    @Test func exactPairingKeepsOnlyTheTwoModelsAndOrientsThem() throws {
        let source = BattleSource(path: "battles.jsonl", battles: [
            battle("p1", "gpt-4-1106-preview", "mixtral-8x7b-instruct-v0.1", .modelA),
            battle("p2", "Mixtral-8x7B-Instruct-v0.1", "gpt-4-1106-preview", .modelA),
            battle("p3", "mistralai/mixtral-8x7b-instruct-v0.1", "GPT-4-1106-preview", .modelB),
            battle("p4", "gpt-4-1106-preview", "mixtral-8x7b-instruct-v0.1", .tie),
            battle("p5", "mixtral-8x7b-instruct-v0.1", "gpt-4-1106-preview", .tieBothBad),
            battle("p6", "gpt-4-1106-preview", "claude-2.1", .modelA),
            battle("p7", "llama-2-70b-chat", "mixtral-8x7b-instruct-v0.1", .modelB),
        ])
        let labelled = try ModelPairing(mode: .exact).label(source)
        #expect(labelled.battles == 7)
        #expect(labelled.items == [
            BenchmarkItem(prompt: "p1", strongScore: 1, weakScore: 0),
            BenchmarkItem(prompt: "p2", strongScore: 0, weakScore: 1),
            BenchmarkItem(prompt: "p3", strongScore: 1, weakScore: 0),
            BenchmarkItem(prompt: "p4", strongScore: 0.5, weakScore: 0.5),
            BenchmarkItem(prompt: "p5", strongScore: 0, weakScore: 0),
        ])
        #expect(labelled.items.map(SimilarityWeightedRanking.Outcome.init) == [.strongWins, .weakWins, .strongWins, .tie, .tie])
    }

    /// Five models of clearly separated strength: with three tiers, the strong model's peer and
    /// the weak model's peer join their battles; exact pairing leaves those out.
    @Test func tiersWidenThePairToPeers() throws {
        // Strength order: s ≈ s2 > m > w ≈ w2.
        var battles: [Battle] = []
        let beats: [(String, String, Int)] = [("s", "m", 9), ("s2", "m", 9), ("m", "w", 9), ("m", "w2", 9), ("s", "w", 9), ("s2", "w2", 9)]
        for (winner, loser, count) in beats {
            for index in 0..<count { battles.append(battle("\(winner) over \(loser) \(index)", winner, loser, .modelA)) }
            battles.append(battle("\(loser) over \(winner)", winner, loser, .modelB))
        }
        for pair in [("s", "s2"), ("w", "w2")] {
            battles.append(battle("peer win", pair.0, pair.1, .modelA))
            battles.append(battle("peer loss", pair.0, pair.1, .modelB))
        }
        let ratings = ModelTiers.ratings(battles)
        #expect(ratings["s"]! > ratings["m"]! && ratings["m"]! > ratings["w"]!)
        let tiers = ModelTiers.tiers(ratings: ratings, count: 3)
        #expect(tiers == ["s": 0, "s2": 0, "m": 1, "w": 2, "w2": 2])

        let source = BattleSource(path: "arena.csv", battles: battles)
        let tiered = try ModelPairing(strongModel: "s", weakModel: "w", mode: .tiers, tierCount: 3).label(source)
        #expect(tiered.strongSide == ["s", "s2"] && tiered.weakSide == ["w", "w2"])
        // s-w and s2-w2: 10 battles each, and nothing with m or between peers.
        #expect(tiered.items.count == 20)
        #expect(tiered.items.filter { $0.strongScore == 1 }.count == 18)
        let exact = try ModelPairing(strongModel: "s", weakModel: "w", mode: .exact).label(source)
        #expect(exact.items.count == 10)
    }

    /// RouteLLM's fit: battles counted twice, a tie one win each way, so the MLE win
    /// probability is the share of (duplicated) wins.
    @Test func ratingsAreTheMaximumLikelihoodElo() {
        let battles = [battle("1", "a", "b", .modelA), battle("2", "b", "a", .modelB), battle("3", "a", "b", .tie), battle("4", "a", "b", .modelB)]
        let ratings = ModelTiers.ratings(battles)
        // a: 2 + 2 + 1 + 0 = 5 wins of 8.
        let gap = ratings["a"]! - ratings["b"]!
        #expect(abs(gap - 400 * log10(5.0 / 3.0)) < 1e-6)
    }

    /// The dynamic programme cuts where the gaps are, and fewer models than tiers gives each
    /// model its own tier.
    @Test func tiersFollowRouteLLMsCuts() {
        let ratings = ["a": 1200.0, "b": 1190, "c": 1000, "d": 990, "e": 800]
        #expect(ModelTiers.tiers(ratings: ratings, count: 3) == ["a": 0, "b": 0, "c": 1, "d": 1, "e": 2])
        let alone = ModelTiers.tiers(ratings: ["x": 1100, "y": 1000, "z": 900], count: 10)
        #expect(Set(alone.values).count == 3)
        #expect(alone["x"]! < alone["y"]! && alone["y"]! < alone["z"]!)
    }

    @Test func aModelMissingFromTheDataIsNamed() {
        let source = BattleSource(path: "arena.csv", battles: [battle("p", "claude-2.1", "llama-2-70b-chat", .modelA)])
        let error = #expect(throws: BenchmarkDataError.self) { try ModelPairing().label(source) }
        #expect(error?.path == "arena.csv")
        #expect(error?.message.hasPrefix("gpt-4-1106-preview (--strong-model) never appears in its battles; its most frequent models: claude-2.1, llama-2-70b-chat") == true)
    }

    @Test func theSameTierOrNoBattleBetweenThePairIsAnError() {
        // s and w only ever tie: one tier holds both.
        let tied = BattleSource(path: "t.jsonl", battles: (0..<4).map { battle("p\($0)", "s", "w", .tie) } + [battle("q", "x", "y", .modelA)])
        let sameTier = #expect(throws: BenchmarkDataError.self) { try ModelPairing(strongModel: "s", weakModel: "w", tierCount: 2).label(tied) }
        #expect(sameTier?.message.contains("fall in the same tier") == true)
        let apart = BattleSource(path: "a.jsonl", battles: [battle("p", "s", "x", .modelA), battle("q", "w", "y", .modelA)])
        let none = #expect(throws: BenchmarkDataError.self) { try ModelPairing(strongModel: "s", weakModel: "w", mode: .exact).label(apart) }
        #expect(none?.message == "none of its 2 battles is between s and w")
    }
}
