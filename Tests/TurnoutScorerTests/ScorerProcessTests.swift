import Foundation
import Testing
import TurnoutRouting
import TurnoutRuntime
import TurnoutScorer
import TurnoutScorerAPI
import TurnoutTestSupport
import TurnoutTransport
import TurnoutWire

/// The real `turnout-scorer` process over a directory of real artifacts.
@Suite struct ScorerProcessTests {
    static let model = "sentence-transformers/all-MiniLM-L6-v2"

    /// A classifier over 384 dimensions that prefers the strong model along the first axis.
    static func artifact(bias: Float) -> RouterArtifact {
        var embeddings: [[Float]] = []
        var outcomes: [SimilarityWeightedRanking.Outcome] = []
        for index in 0..<60 {
            var vector = [Float](repeating: 0, count: 384)
            vector[index % 2] = 1
            vector[2 + index % 7] = 0.1 + bias
            embeddings.append(vector)
            outcomes.append(index % 2 == 0 ? .strongWins : .weakWins)
        }
        let classifier = LogisticClassifier(embeddings: embeddings, outcomes: outcomes)
        var artifact = RouterArtifact(kind: "classifier", embeddingModel: model, embeddingDimensions: 384, hyperparameters: [:],
                                      trainingDataSHA256: "test", trainingBattles: 60, calibration: [:], weights: .classifier(classifier))
        artifact.calibration = TrainingData.calibration(winRates: embeddings.map(artifact.winRate(for:)))
        return artifact
    }

    static func axis(_ index: Int) -> [Float] {
        var vector = [Float](repeating: 0, count: 384)
        vector[index] = 1
        return vector
    }

    @Test func scoresReloadsAndRefusesBadInput() async throws {
        let directory = TestPaths.temporaryDirectory("routers")
        let first = Self.artifact(bias: 0)
        try first.write(to: directory.appendingPathComponent("cls.json"))
        let scorer = try await RunningService.start("turnout-scorer", stateDirectory: TestPaths.temporaryDirectory(),
                                                    arguments: ["--routers-dir", directory.path, "--embedder", "", "--watch-interval", "100ms"])
        defer { scorer.process.terminate() }
        let client = try WireClient.forTesting([scorer.wireTarget])
        defer { client.shutdown() }

        let strong = try await client.call(ScorerAPI.score, ScorerAPI.ScoreRequest(embedding: Self.axis(0), router: "cls", threshold: 0.5))
        #expect(abs(strong.winRate - first.winRate(for: Self.axis(0))) < 1e-9)
        #expect(strong.route == "strong")
        let weak = try await client.call(ScorerAPI.score, ScorerAPI.ScoreRequest(embedding: Self.axis(1), router: "cls", threshold: 0.5))
        #expect(weak.route == "weak")
        let calibrated = try await client.call(ScorerAPI.score, ScorerAPI.ScoreRequest(embedding: Self.axis(1), router: "cls", strongFraction: 0.3))
        #expect(calibrated.threshold == first.calibration["0.30"])
        // Between calibrated points the threshold is interpolated; the ends send none or all strong.
        let between = try await client.call(ScorerAPI.score, ScorerAPI.ScoreRequest(embedding: Self.axis(1), router: "cls", strongFraction: 0.125))
        let (low, high) = (try #require(first.calibration["0.10"]), try #require(first.calibration["0.15"]))
        #expect(abs(between.threshold - (low + high) / 2) < 1e-12, "halfway between 10% and 15%")
        let none = try await client.call(ScorerAPI.score, ScorerAPI.ScoreRequest(embedding: Self.axis(0), router: "cls", strongFraction: 0))
        let all = try await client.call(ScorerAPI.score, ScorerAPI.ScoreRequest(embedding: Self.axis(1), router: "cls", strongFraction: 1))
        #expect(none.route == "weak" && none.threshold == 1 && all.route == "strong" && all.threshold == 0)

        for (request, code) in [
            (ScorerAPI.ScoreRequest(embedding: Self.axis(0), router: "nope"), StatusCode.notFound),
            (ScorerAPI.ScoreRequest(router: "cls"), .invalidArgument),
            (ScorerAPI.ScoreRequest(embedding: [1, 2, 3], router: "cls"), .invalidArgument),
            (ScorerAPI.ScoreRequest(embedding: Self.axis(0), router: "cls", threshold: 7), .invalidArgument),
            (ScorerAPI.ScoreRequest(text: "needs an embedder", router: "cls"), .failedPrecondition),
        ] {
            do {
                _ = try await client.call(ScorerAPI.score, request)
                Issue.record("\(request.router) must be refused")
            } catch {
                #expect(error.code == code, "\(error)")
            }
        }

        // Bodies that are not a score request are refused with the field named.
        for (body, fragment) in [("{\"embedding\":[1,\"x\"],\"router\":\"cls\"}", "invalid Scorer/Score request"), ("{\"embedding\":[1]}", "router")] {
            do {
                _ = try await client.unary(ScorerAPI.score.descriptor, body: Array(body.utf8))
                Issue.record("\(body) must be refused")
            } catch {
                #expect(error.code == .invalidArgument)
                #expect(error.message.contains(fragment))
            }
        }

        // Replace the artifact in place: the new version is served without a restart.
        let listed = try await client.call(ScorerAPI.routers, EmptyMessage())
        let firstVersion = try #require(listed.routers.first { $0.name == "cls" }?.version)
        try Self.artifact(bias: 0.3).write(to: directory.appendingPathComponent("cls.json"))
        var secondVersion = firstVersion
        for _ in 0..<200 where secondVersion == firstVersion {
            try await Task.sleep(for: .milliseconds(50))
            secondVersion = try await client.call(ScorerAPI.score, ScorerAPI.ScoreRequest(embedding: Self.axis(0), router: "cls")).routerVersion
        }
        #expect(secondVersion != firstVersion)

        // A damaged replacement is rejected and the last good version keeps serving.
        try Data("{\"checksum\":\"00\",\"payload\":{}}".utf8).write(to: directory.appendingPathComponent("cls.json"))
        try await Task.sleep(for: .milliseconds(500))
        let still = try await client.call(ScorerAPI.score, ScorerAPI.ScoreRequest(embedding: Self.axis(0), router: "cls"))
        #expect(still.routerVersion == secondVersion)
        #expect(scorer.process.logLines.contains { $0.contains("previous version keeps serving") })
    }

    @Test func scoresTextThroughTheEmbedder() async throws {
        let directory = TestPaths.temporaryDirectory("routers-text")
        try Self.artifact(bias: 0).write(to: directory.appendingPathComponent("cls.json"))
        let modelDirectory = ProcessInfo.processInfo.environment["TURNOUT_MODEL_DIR"] ?? TestPaths.packageRoot.appendingPathComponent("models/all-MiniLM-L6-v2").path
        let embedder = try await RunningService.start("turnout-embedder", stateDirectory: TestPaths.temporaryDirectory(), arguments: ["--model-dir", modelDirectory])
        defer { embedder.process.terminate() }
        let scorer = try await RunningService.start("turnout-scorer", stateDirectory: TestPaths.temporaryDirectory(),
                                                    arguments: ["--routers-dir", directory.path, "--embedder", "127.0.0.1:\(embedder.wirePort)"])
        defer { scorer.process.terminate() }
        let client = try WireClient.forTesting([scorer.wireTarget])
        defer { client.shutdown() }
        let reply = try await client.call(ScorerAPI.score, ScorerAPI.ScoreRequest(text: "What is the capital of France?", router: "cls", threshold: 0.5))
        #expect((0...1).contains(reply.winRate))
        #expect(reply.route == (reply.winRate >= 0.5 ? "strong" : "weak"))
    }
}
