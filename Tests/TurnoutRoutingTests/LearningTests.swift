import Foundation
import Testing
import TurnoutRouting

@Suite struct DeploymentBattleTests {
    @Test func anExportReadsBack() throws {
        let export = """
            {"id":"b1","time_ms":10,"prompt":"How many primes are below 100?","model_a":"big","model_b":"small","winner":"model_a","source":"shadow","router_version":"v1"}

            {"id":"b2","time_ms":5,"prompt":"Name a colour of the rainbow, please.","model_a":"big","model_b":"small","winner":"tie (bothbad)","source":"feedback"}
            """
        let battles = try DeploymentBattle.lines(Array(export.utf8), origin: "export.jsonl")
        #expect(battles.map(\.id) == ["b1", "b2"])
        #expect(battles[0].item == BenchmarkItem(prompt: "How many primes are below 100?", strongScore: 1, weakScore: 0))
        #expect(battles[1].item.strongScore == 0 && battles[1].item.weakScore == 0 && battles[1].source == .feedback && battles[1].routerVersion == "")
    }

    @Test(arguments: [
        ("[1,2]", "line 2 is not a JSON object"),
        (#"{"time_ms":1,"prompt":"p","model_a":"a","model_b":"b","winner":"draw"}"#, "known winner"),
        (#"{"prompt":"p","model_a":"a","model_b":"b","winner":"tie"}"#, "time_ms"),
    ])
    func aBadLineIsNamed(_ line: String, _ message: String) {
        do {
            _ = try DeploymentBattle.lines(Array(("\n" + line).utf8), origin: "x.jsonl")
            Issue.record("\(line) must be refused")
        } catch {
            #expect(error.description.contains(message) && error.description.contains("x.jsonl"), "\(error)")
        }
    }
}

@Suite struct LearningSplitTests {
    static func battle(_ id: Int, at time: Int64, source: DeploymentBattle.Source = .shadow) -> DeploymentBattle {
        DeploymentBattle(id: "b\(id)", timeMs: time, prompt: "prompt number \(id) of the test", strongModel: "big", weakModel: "small", winner: .tie,
                         source: source, routerVersion: "v1")
    }

    @Test func theNewestJudgedBattlesAreHeldOut() {
        let battles = (0..<10).map { Self.battle($0, at: Int64(100 - $0)) } + [Self.battle(99, at: 1000, source: .feedback)]
        let split = LearningSplit(battles, heldOutFraction: 0.3, after: nil)
        #expect(split.heldOut.map(\.id) == ["b2", "b1", "b0"], "the three newest, in time order")
        #expect(split.training.count == 8 && split.training.contains { $0.id == "b99" }, "feedback always trains")
        #expect(split.training.map(\.timeMs) == split.training.map(\.timeMs).sorted())
    }

    @Test func eachBlockIsPredictedFromWhatCameBeforeIt() {
        let battles = (0..<12).map { Self.battle($0, at: Int64($0)) } + [Self.battle(50, at: 7, source: .feedback)]
        let split = LearningSplit(battles, heldOutFraction: 0.5, blocks: 3, after: nil)
        #expect(split.blocks.map { $0.map(\.id) } == [["b6", "b7"], ["b8", "b9"], ["b10", "b11"]])
        #expect(split.training(before: 0).map(\.id) == ["b0", "b1", "b2", "b3", "b4", "b5"])
        #expect(split.training(before: 1).map(\.id) == ["b0", "b1", "b2", "b3", "b4", "b5", "b6", "b50", "b7"], "earlier blocks and feedback train later ones")
        #expect(split.heldOut.count == 6 && split.battles.count == 13)
    }

    @Test func battlesTheLiveRouterTrainedOnAreNeverHeldOut() {
        let battles = (0..<10).map { Self.battle($0, at: Int64($0)) }
        let split = LearningSplit(battles, heldOutFraction: 0.5, after: 7)
        #expect(split.heldOut.map(\.id) == ["b8", "b9"])
        #expect(split.training.count == 8)
    }
}

@Suite struct PromotionDecisionTests {
    /// Hard prompts (the strong model wins) and easy ones (a tie), alternating.
    static let items = (0..<60).map { BenchmarkItem(prompt: "p\($0)", strongScore: $0 % 2 == 0 ? 1 : 0.5, weakScore: $0 % 2 == 0 ? 0 : 0.5) }
    static let knowing = items.map { $0.strongScore > $0.weakScore ? 0.9 : 0.1 }
    static let backwards = items.map { $0.strongScore > $0.weakScore ? 0.1 : 0.9 }

    @Test func aBetterCandidateIsPromoted() {
        let decision = PromotionDecision(live: Self.backwards, candidate: Self.knowing, heldOut: Self.items, margin: 0.01, minimumHeldOut: 20)
        #expect(decision.promote && decision.candidateAPGR > decision.liveAPGR + 0.2)
        #expect(decision.reason.contains("better") && decision.heldOut == 60 && decision.decided == 30)
    }

    @Test func aWorseOrEqualCandidateIsNot() {
        let worse = PromotionDecision(live: Self.knowing, candidate: Self.backwards, heldOut: Self.items, margin: 0.01, minimumHeldOut: 20)
        #expect(!worse.promote && worse.reason.contains("live router stays"))
        let same = PromotionDecision(live: Self.knowing, candidate: Self.knowing, heldOut: Self.items, margin: 0.01, minimumHeldOut: 20)
        #expect(!same.promote, "equal is not better by the margin")
    }

    @Test func eachBlockReportsItsOwnFiguresAndThePoolDecides() {
        // The candidate knows the first block and is backwards on the second: pooled, no gain.
        let first = Array(Self.items[..<30]), second = Array(Self.items[30...])
        let blocks = [PromotionDecision.Block(items: first, live: Array(Self.backwards[..<30]), candidate: Array(Self.knowing[..<30])),
                      PromotionDecision.Block(items: second, live: Array(Self.knowing[30...]), candidate: Array(Self.backwards[30...]))]
        let decision = PromotionDecision(blocks: blocks, margin: 0.01, minimumHeldOut: 20)
        #expect(decision.perBlock.map(\.battles) == [30, 30])
        #expect(decision.perBlock[0].candidateAPGR > decision.perBlock[0].liveAPGR + 0.2)
        #expect(decision.perBlock[1].candidateAPGR < decision.perBlock[1].liveAPGR - 0.2)
        #expect(!decision.promote, "a gain in one block that the next takes back is no gain")
    }

    @Test func theDifferenceComesWithItsUncertaintyWhichMoreBattlesShrink() {
        // A candidate right on three hard prompts in four, against one that knows nothing.
        let candidate = Self.items.indices.map { $0 % 2 == 0 ? ($0 % 8 == 0 ? 0.2 : 0.9) : 0.5 }
        let flat = Self.items.map { _ in 0.5 }
        let few = PromotionDecision(live: flat, candidate: candidate, heldOut: Self.items, margin: 0.01, minimumHeldOut: 20)
        let items4 = Array(repeating: Self.items, count: 4).flatMap { $0 }
        let many = PromotionDecision(live: Array(repeating: flat, count: 4).flatMap { $0 }, candidate: Array(repeating: candidate, count: 4).flatMap { $0 },
                                     heldOut: items4, margin: 0.01, minimumHeldOut: 20)
        #expect(few.differenceStandardError > 0.01 && few.reason.contains("give or take"))
        #expect(many.differenceStandardError < few.differenceStandardError * 0.75, "four times the battles, about half the spread")
        #expect(abs((many.candidateAPGR - many.liveAPGR) - (few.candidateAPGR - few.liveAPGR)) < 0.05)
        let again = PromotionDecision(live: flat, candidate: candidate, heldOut: Self.items, margin: 0.01, minimumHeldOut: 20)
        #expect(again == few, "seeded: the same battles give the same decision and spread")
    }

    @Test func aLeadWithinTheNoiseIsNotYet() throws {
        // Both routers know the hard prompts but for a few; the candidate misses one fewer.
        let live = Self.items.indices.map { $0 % 2 == 0 ? ($0 % 10 == 0 ? 0.2 : 0.9) : 0.5 }
        let candidate = Self.items.indices.map { $0 % 2 == 0 ? ($0 % 10 == 0 && $0 > 0 ? 0.2 : 0.9) : 0.5 }
        let marginOnly = PromotionDecision(live: live, candidate: candidate, heldOut: Self.items, margin: 0.01, standardErrors: 0, minimumHeldOut: 20)
        let difference = marginOnly.candidateAPGR - marginOnly.liveAPGR
        #expect(marginOnly.promote && difference >= 0.01)
        let cautious = PromotionDecision(live: live, candidate: candidate, heldOut: Self.items, margin: 0.01, standardErrors: 2, minimumHeldOut: 20)
        #expect(2 * cautious.differenceStandardError > difference, "one prompt in sixty is within two standard errors")
        #expect(!cautious.promote && cautious.reason.contains("not yet"))
        let needed = try #require(cautious.heldOutNeeded)
        #expect(needed > 60, "more battles than were held out would tell")
        let clear = PromotionDecision(live: Self.backwards, candidate: Self.knowing, heldOut: Self.items, margin: 0.01, standardErrors: 1, minimumHeldOut: 20)
        #expect(clear.promote && clear.heldOutNeeded == nil)
    }

    @Test func tooFewHeldOutBattlesDecideNothing() {
        let decision = PromotionDecision(live: Self.backwards, candidate: Self.knowing, heldOut: Self.items, margin: 0.01, minimumHeldOut: 100)
        #expect(!decision.promote && decision.reason.contains("at least 100"))
        let ties = Self.items.map { BenchmarkItem(prompt: $0.prompt, strongScore: 0.5, weakScore: 0.5) }
        #expect(!PromotionDecision(live: Self.backwards, candidate: Self.knowing, heldOut: ties, margin: 0, minimumHeldOut: 1).promote)
    }
}

@Suite struct ArtifactHistoryTests {
    static func artifact(bias: Float) -> RouterArtifact {
        let classifier = LogisticClassifier(embeddings: [[1, 0], [0, 1], [0.7 + bias, 0.7]], outcomes: [.strongWins, .weakWins, .tie])
        return RouterArtifact(kind: "classifier", embeddingModel: "test-model", embeddingDimensions: 2, hyperparameters: ["bias": Double(bias)],
                              trainingDataSHA256: "x", trainingBattles: 3, calibration: ["0.30": 0.5], weights: .classifier(classifier),
                              trainingSources: [TrainingSource(name: "base", kind: "benchmark", items: 3, strongWins: 1, weakWins: 1, ties: 1, licence: "MIT")])
    }

    @Test func promotionKeepsThePreviousAndRollbackRestoresIt() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let history = ArtifactHistory(routersDirectory: directory.url, name: "gain")
        try Self.artifact(bias: 0).write(to: history.liveFile)
        let first = try RouterArtifact.load(from: history.liveFile).checksum
        let kept = try #require(try history.promote(Self.artifact(bias: 0.1), now: Date(timeIntervalSince1970: 1000)))
        #expect(kept.lastPathComponent.contains(String(first.prefix(12))) && history.entries == [kept])
        let second = try RouterArtifact.load(from: history.liveFile)
        #expect(second.checksum != first && second.trainingSources?.first?.licence == "MIT")
        try history.promote(Self.artifact(bias: 0.2), now: Date(timeIntervalSince1970: 2000))
        #expect(history.entries.count == 2)

        // Back one step, then one more: never forward again to what was rolled back.
        #expect(try history.rollBack(now: Date(timeIntervalSince1970: 3000)).checksum == second.checksum)
        #expect(try RouterArtifact.load(from: history.liveFile).checksum == second.checksum)
        #expect(try history.rollBack(now: Date(timeIntervalSince1970: 4000)).checksum == first)
        #expect(try RouterArtifact.load(from: history.liveFile).checksum == first)
        #expect(throws: ArtifactError.self) { try history.rollBack() }
        #expect(history.entries.allSatisfy { $0.lastPathComponent.contains("rolled-back") }, "what was rolled back is kept")
        // The scorers' directory listing sees only the live file.
        let visible = try FileManager.default.contentsOfDirectory(atPath: directory.url.path).filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }
        #expect(visible == ["gain.json"])
    }

    @Test func aDamagedHistoryEntryIsNotRestored() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let history = ArtifactHistory(routersDirectory: directory.url, name: "gain")
        try Self.artifact(bias: 0).write(to: history.liveFile)
        try history.promote(Self.artifact(bias: 0.1))
        let live = try RouterArtifact.load(from: history.liveFile).checksum
        try Data("{\"checksum\":\"00\",\"payload\":{}}".utf8).write(to: try #require(history.entries.last))
        #expect(throws: ArtifactError.self) { try history.rollBack() }
        #expect(try RouterArtifact.load(from: history.liveFile).checksum == live, "the live router is untouched")
    }
}
