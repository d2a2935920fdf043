import Foundation
import Testing
import TurnoutRouting

@Suite struct RouterArtifactTests {
    func artifact() -> RouterArtifact {
        let classifier = LogisticClassifier(embeddings: [[1, 0], [0, 1], [0.7, 0.7]], outcomes: [.strongWins, .weakWins, .tie])
        return RouterArtifact(kind: "classifier", embeddingModel: "test-model", embeddingDimensions: 2, hyperparameters: ["l2": 1e-4],
                              trainingDataSHA256: TrainingData.fingerprint([BenchmarkItem(prompt: "a", strongScore: 1, weakScore: 0)]),
                              trainingBattles: 3, calibration: TrainingData.calibration(winRates: [0.1, 0.5, 0.9]), weights: .classifier(classifier))
    }

    func file() -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("artifact-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent("router.json")
    }

    @Test func roundTripsAndScoresTheSame() throws {
        let original = artifact()
        let url = file()
        try original.write(to: url)
        let loaded = try RouterArtifact.load(from: url, expectedModel: "test-model", expectedDimensions: 2)
        #expect(loaded.kind == "classifier")
        #expect(loaded.calibration == original.calibration)
        #expect(loaded.winRate(for: [1, 0]) == original.winRate(for: [1, 0]))
        // Replacing an existing artifact works too (the scorer's reload path).
        try original.write(to: url)
        #expect(try RouterArtifact.load(from: url).trainingBattles == 3)
    }

    @Test func aDamagedFileIsRefusedNamingIt() throws {
        let url = file()
        try artifact().write(to: url)
        var bytes = Array(try Data(contentsOf: url))
        let index = bytes.lastIndex(of: UInt8(ascii: "1")) ?? bytes.count / 2
        bytes[index] = UInt8(ascii: "2")
        try Data(bytes).write(to: url)
        do {
            _ = try RouterArtifact.load(from: url)
            Issue.record("a damaged artifact must be refused")
        } catch {
            #expect(error.description.contains(url.path))
            #expect(error.problem.contains("checksum"))
        }
        try Data("not json".utf8).write(to: url)
        #expect(throws: ArtifactError.self) { try RouterArtifact.load(from: url) }
    }

    @Test func anotherEmbeddingModelIsRefused() throws {
        let url = file()
        try artifact().write(to: url)
        do {
            _ = try RouterArtifact.load(from: url, expectedModel: "sentence-transformers/all-MiniLM-L6-v2")
            Issue.record("a model mismatch must be refused")
        } catch {
            #expect(error.problem.contains("test-model"))
            #expect(error.problem.contains("turnout train"))
        }
        #expect(throws: ArtifactError.self) { try RouterArtifact.load(from: url, expectedModel: "test-model", expectedDimensions: 384) }
    }

    @Test func calibrationSendsTheAskedShareStrong() {
        let rates = (0..<1000).map { Double($0) / 1000 }
        let threshold = TrainingData.threshold(forStrongFraction: 0.3, winRates: rates)
        let share = Double(rates.filter { $0 >= threshold }.count) / Double(rates.count)
        #expect(abs(share - 0.3) < 0.002)
        #expect(TrainingData.key(0.05) == "0.05" && TrainingData.key(0.3) == "0.30")
    }
}
