import Foundation
import Testing
@testable import TurnoutEmbedding

/// Encoder behaviour beyond parity: odd batches, bad ids, concurrency, and the facade's errors.
@Suite("MiniLMEncoder")
struct EncoderTests {
    private static func norm(_ vector: [Float]) -> Float {
        vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
    }

    private static func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).map { abs($0 - $1) }.max() ?? .infinity
    }

    @Test("edge-case texts give finite unit vectors of 384 dimensions")
    func edgeCaseTexts() throws {
        let model = try TestResources.loadedModel()
        #expect(model.dimensions == 384)
        #expect(model.modelID == "sentence-transformers/all-MiniLM-L6-v2")
        let texts = ["", "   \t\n", "🍕😀👍", "Crème brûlée à la carte", "東京は日本の首都です",
                     String(repeating: "token overflow ", count: 400)]
        let vectors = model.embed(texts)
        #expect(vectors.count == texts.count)
        for (text, vector) in zip(texts, vectors) {
            #expect(vector.count == 384)
            #expect(vector.allSatisfy { $0.isFinite }, "\(text.prefix(20).debugDescription)")
            #expect(abs(Self.norm(vector) - 1) < 1e-5, "\(text.prefix(20).debugDescription)")
        }
        // Accents are stripped by the tokenizer, so these embed identically.
        let accented = model.embed(["Crème brûlée", "creme brulee"])
        #expect(Self.maxDifference(accented[0], accented[1]) == 0)
    }

    @Test("empty batch, empty sequence, out-of-range ids and over-long sequences do not crash")
    func oddInputs() throws {
        let model = try TestResources.loadedModel()
        #expect(model.encode([]).isEmpty)
        let outputs = model.encode([[], [101, 102]])
        #expect(outputs[0] == [Float](repeating: 0, count: 384))
        #expect(abs(Self.norm(outputs[1]) - 1) < 1e-5)
        let invalid = model.encode([[101, -5, 999_999, 102], [101, 100, 100, 102]])
        #expect(Self.maxDifference(invalid[0], invalid[1]) == 0)
        // Attention blocks stay small enough for OpenBLAS to run them on the calling thread.
        #expect(MiniLMEncoder.attentionRows(length: 64, headSize: 32) == 64)
        #expect(MiniLMEncoder.attentionRows(length: 256, headSize: 32) == 32)
        #expect(MiniLMEncoder.attentionRows(length: 100_000, headSize: 32) == 1)
        #expect(MiniLMEncoder.clipped([101, 1, 2, 3, 102], limit: 3) == [101, 1, 102])
        #expect(MiniLMEncoder.clipped([101, 1, 102], limit: 3) == [101, 1, 102])
        #expect(MiniLMEncoder.clipped([101, 102], limit: 0) == [])
        // One id past the 512 positions the model has: clipped, not read out of bounds.
        let overlong = model.encode([[101] + [Int32](repeating: 2003, count: 511) + [102]])
        #expect(overlong[0].allSatisfy { $0.isFinite })
        #expect(abs(Self.norm(overlong[0]) - 1) < 1e-5)
    }

    @Test("similar sentences are closer than unrelated ones")
    func semantics() throws {
        let model = try TestResources.loadedModel()
        let vectors = model.embed(["A man is playing a guitar.", "Someone is strumming a guitar.", "The stock market crashed yesterday."])
        let similar = zip(vectors[0], vectors[1]).reduce(0) { $0 + $1.0 * $1.1 }
        let unrelated = zip(vectors[0], vectors[2]).reduce(0) { $0 + $1.0 * $1.1 }
        #expect(similar > 0.5)
        #expect(similar > unrelated + 0.3)
    }

    @Test("concurrent callers get the same vectors as a sequential caller")
    func concurrentCallers() async throws {
        let model = try TestResources.loadedModel()
        let texts = ["What is the capital of France?", "Write a Python function that reverses a linked list.", "Hello world", ""]
        let expected = model.embed(texts)
        let results = await withTaskGroup(of: (Int, [[Float]]).self) { group in
            for index in 0..<4 {
                group.addTask { (index, model.embed(index % 2 == 0 ? texts : texts.reversed())) }
            }
            var collected: [(Int, [[Float]])] = []
            for await result in group { collected.append(result) }
            return collected
        }
        #expect(results.count == 4)
        for (index, vectors) in results {
            let ordered = index % 2 == 0 ? vectors : vectors.reversed()
            for (vector, reference) in zip(ordered, expected) {
                #expect(Self.maxDifference(vector, reference) <= 1e-5)
            }
        }
    }

    @Test("a configuration the kernels cannot run is refused before any weight is read")
    func unsupportedConfiguration() throws {
        let file = try SafetensorsFile(path: TestResources.modelDirectory().appendingPathComponent("model.safetensors").path)
        var configuration = MiniLMConfiguration()
        configuration.hiddenSize = 100
        configuration.headCount = 10
        #expect(throws: EmbeddingModelError.invalidConfiguration(path: file.path, reason: configuration.problem ?? "")) {
            try MiniLMEncoder(file: file, configuration: configuration)
        }
        #expect(configuration.problem != nil)
        #expect(MiniLMConfiguration().problem == nil)
        #expect(throws: EmbeddingModelError.self) { try MiniLMEncoder(file: file, unknownTokenID: 40_000) }
    }

    @Test("a missing model directory names the file and the set-up command")
    func missingModel() {
        let directory = URL(fileURLWithPath: "/nonexistent/models/all-MiniLM-L6-v2")
        do {
            _ = try MiniLM(directory: directory)
            Issue.record("loading a missing model succeeded")
        } catch {
            #expect(error == .missingFile(path: directory.appendingPathComponent("vocab.txt").path))
            #expect(error.description.contains("/nonexistent/models/all-MiniLM-L6-v2/vocab.txt"))
            #expect(error.description.contains("scripts/setup.sh"))
        }
    }

    @Test("damaged weights and configuration in a model directory are reported as such")
    func damagedModel() throws {
        let source = try TestResources.modelDirectory()
        let scratch = try SafetensorsTests.Scratch()
        let vocabulary = try Data(contentsOf: source.appendingPathComponent("vocab.txt"))
        try vocabulary.write(to: scratch.directory.appendingPathComponent("vocab.txt"))
        let weightsPath = try scratch.write([1, 2, 3])
        do {
            _ = try MiniLM(directory: scratch.directory)
            Issue.record("loading a 3-byte model file succeeded")
        } catch {
            #expect(error == .invalidWeights(SafetensorsError(path: weightsPath, kind: .tooSmall(fileSize: 3))))
            #expect(error.description.contains("scripts/setup.sh"))
        }
        try Data("{\"hidden_size\": 384, \"num_attention_heads\": 5}".utf8).write(to: scratch.directory.appendingPathComponent("config.json"))
        do {
            _ = try MiniLM(directory: scratch.directory)
            Issue.record("loading with 5 heads for 384 channels succeeded")
        } catch {
            guard case .invalidConfiguration = error else {
                Issue.record("expected invalidConfiguration, got \(error)")
                return
            }
        }
        // The right header with the wrong shapes: a model of another size.
        try Data("{\"hidden_size\": 768, \"num_attention_heads\": 12}".utf8).write(to: scratch.directory.appendingPathComponent("config.json"))
        let weights = try Data(contentsOf: source.appendingPathComponent("model.safetensors"))
        try weights.write(to: URL(fileURLWithPath: weightsPath))
        do {
            _ = try MiniLM(directory: scratch.directory)
            Issue.record("loading 384-wide weights as a 768-wide model succeeded")
        } catch {
            guard case .invalidWeights(let inner) = error, case .shapeMismatch(name: "embeddings.word_embeddings.weight", _, _) = inner.kind else {
                Issue.record("expected a shape mismatch, got \(error)")
                return
            }
        }
    }
}
