import Foundation
import Testing
import TurnoutRouting
import TurnoutStorage

@Suite struct SimilarityRankingArtifactTests {
    static let model = "test-model"

    static func artifact(_ data: RandomBattles) -> RouterArtifact {
        let compact = QuantizedSimilarityRanking(dimensions: 384, embeddings: data.embeddings, outcomes: data.outcomes)
        var artifact = RouterArtifact(kind: "sw_ranking", embeddingModel: model, embeddingDimensions: 384, hyperparameters: [:], trainingDataSHA256: "test",
                                      trainingBattles: compact.battleCount, calibration: [:], weights: .similarityRanking(compact))
        artifact.calibration = TrainingData.calibration(winRates: data.embeddings.prefix(50).map(artifact.winRate(for:)))
        return artifact
    }

    func file() -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sw-artifact-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent("sw_ranking.json")
    }

    @Test func roundTripsAndScoresLikeTheInMemoryRouter() throws {
        var data = RandomBattles(count: 600, dimensions: 384, clusters: 8, seed: 11)
        let original = Self.artifact(data)
        let url = file()
        try original.write(to: url)
        let loaded = try RouterArtifact.load(from: url, expectedModel: Self.model, expectedDimensions: 384)
        #expect(loaded.kind == "sw_ranking")
        #expect(loaded.trainingBattles == 600)
        #expect(loaded.calibration == original.calibration)
        #expect(loaded.calibration.count == 19)
        let exact = SimilarityWeightedRanking(dimensions: 384, embeddings: data.embeddings, outcomes: data.outcomes)
        for _ in 0..<10 {
            let query = data.near(data.embeddings[Int.random(in: 0..<600, using: &data.generator)])
            // Loading restores the very same rows, so the compact answer is unchanged...
            #expect(loaded.winRate(for: query) == original.winRate(for: query))
            // ...and within rounding of the exact fp32 router.
            #expect(abs(loaded.winRate(for: query) - exact.winRate(for: query)) < 1e-3)
        }
        // The codes are stored as base64, not as JSON numbers: about 4/3 byte per component.
        let size = try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int ?? 0
        #expect(size < 600 * 384 * 3 / 2)
    }

    @Test func aDamagedOrForeignArtifactIsRefused() throws {
        let url = file()
        try Self.artifact(RandomBattles(count: 40, dimensions: 384, clusters: 2, seed: 5)).write(to: url)
        var bytes = Array(try Data(contentsOf: url))
        let marker = Array("\"codes\":\"".utf8)
        let start = try #require(bytes.indices.first { Array(bytes[$0..<min(bytes.count, $0 + marker.count)]) == marker })
        let index = start + marker.count + 10
        bytes[index] = bytes[index] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        try Data(bytes).write(to: url)
        do {
            _ = try RouterArtifact.load(from: url)
            Issue.record("a damaged artifact must be refused")
        } catch {
            #expect(error.description.contains(url.path))
            #expect(error.problem.contains("checksum"))
        }
        try Self.artifact(RandomBattles(count: 40, dimensions: 384, clusters: 2, seed: 5)).write(to: url)
        do {
            _ = try RouterArtifact.load(from: url, expectedModel: "sentence-transformers/all-MiniLM-L6-v2")
            Issue.record("a model mismatch must be refused")
        } catch {
            #expect(error.problem.contains(Self.model))
        }
    }

    /// A payload that is sealed correctly but inconsistent (as a buggy writer could make) is
    /// refused at load, naming the field, instead of reading past the end of the rows.
    @Test(arguments: [
        ("\"ties\":[", "\"ties\":[7,", "ties"),
        ("\"dimensions\":384", "\"dimensions\":383", "codes"),
        ("\"codes\":\"", "\"codes\":\"!", "base64"),
    ])
    func anInconsistentPayloadIsRefusedNamingTheField(find: String, replace: String, field: String) throws {
        let url = file()
        try Self.artifact(RandomBattles(count: 40, dimensions: 384, clusters: 2, seed: 5)).write(to: url)
        let text = String(decoding: try Data(contentsOf: url), as: UTF8.self)
        let payloadStart = try #require(text.range(of: "\"payload\":"))
        var payload = String(text[payloadStart.upperBound...].dropLast(2))
        #expect(payload.contains(find))
        payload = payload.replacingOccurrences(of: find, with: replace)
        let sealed = "{\"checksum\":\"\(SHA256.hex(SHA256.hash(Array(payload.utf8))))\",\"payload\":\(payload)}\n"
        try Data(sealed.utf8).write(to: url)
        do {
            _ = try RouterArtifact.load(from: url)
            Issue.record("an inconsistent payload must be refused")
        } catch {
            #expect(error.problem.contains("does not decode") || error.problem.contains("holds weights"), "\(error)")
            #expect(error.problem.contains(field), "\(error)")
        }
    }
}
