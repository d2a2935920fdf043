import Foundation
import Testing
@testable import TurnoutEmbedding

/// Finds the model and the reference data the parity tests compare against.
///
/// The model directory comes from `TURNOUT_MODEL_DIR`, else the nearest `models/all-MiniLM-L6-v2`
/// above this file. Reference data comes from `TURNOUT_REFERENCE_DIR`, else `../shared/reference`
/// beside the package root. A missing model fails the tests
/// (with the set-up command) rather than skipping them: a silently skipped parity test would
/// let a broken encoder through.
enum TestResources {
    struct MissingResource: Error, CustomStringConvertible {
        let description: String
    }

    static let packageRoot: URL = {
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while directory.path != "/" {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
                return directory
            }
            directory = directory.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    }()

    static func modelDirectory() throws -> URL {
        if let path = ProcessInfo.processInfo.environment["TURNOUT_MODEL_DIR"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("models/all-MiniLM-L6-v2")
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("model.safetensors").path) {
                return candidate
            }
            directory = directory.deletingLastPathComponent()
        }
        throw MissingResource(description: "models/all-MiniLM-L6-v2 not found above \(#filePath) and TURNOUT_MODEL_DIR is unset. \(EmbeddingModelError.setupHint)")
    }

    static func referenceFile(_ name: String) throws -> URL {
        var candidates: [URL] = []
        if let path = ProcessInfo.processInfo.environment["TURNOUT_REFERENCE_DIR"], !path.isEmpty {
            candidates.append(URL(fileURLWithPath: path))
        }
        candidates.append(packageRoot.deletingLastPathComponent().appendingPathComponent("shared/reference"))
        for directory in candidates {
            let file = directory.appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: file.path) { return file }
        }
        throw MissingResource(description: "reference file \(name) not found in \(candidates.map(\.path)); set TURNOUT_REFERENCE_DIR")
    }

    static func decode<T: Decodable>(_ type: T.Type, from name: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(contentsOf: referenceFile(name)))
    }

    /// The model, loaded once for all tests (loading maps the weights and fuses the projections).
    static let model: Result<MiniLM, any Error> = Result { try MiniLM(directory: modelDirectory()) }

    static func loadedModel() throws -> MiniLM {
        try model.get()
    }

    /// The same model with int8 projections.
    static let int8Model: Result<MiniLM, any Error> = Result { try MiniLM(directory: modelDirectory(), precision: .int8) }

    static func loadedInt8Model() throws -> MiniLM {
        try int8Model.get()
    }
}

/// minilm_l6_v2_reference.json: token ids and float64 embeddings for 20 sentences.
struct SentenceReference: Decodable {
    let sentences: [String]
    let tokenIDs: [[Int32]]
    let untruncatedTokenCount: [Int]
    let embeddings: [[Double]]
    let maxSeqLength: Int

    enum CodingKeys: String, CodingKey {
        case sentences, embeddings
        case tokenIDs = "token_ids"
        case untruncatedTokenCount = "untruncated_token_count"
        case maxSeqLength = "max_seq_length"
    }
}

/// ref_embeddings.json: float32 embeddings and ids for 5 sentences.
struct SmallReference: Decodable {
    let sentences: [String]
    let embeddings: [[Double]]
    let inputIDs: [[Int32]]

    enum CodingKeys: String, CodingKey {
        case sentences, embeddings
        case inputIDs = "input_ids"
    }
}

/// ref_long.json: one text far over 256 tokens and its embedding.
struct LongReference: Decodable {
    let text: String
    let embedding: [Double]
}

/// Cosine similarity and largest absolute difference between a result and a reference vector.
func compare(_ actual: [Float], _ expected: [Double]) -> (cosine: Double, maxDifference: Double) {
    var dot = 0.0, actualNorm = 0.0, expectedNorm = 0.0, maxDifference = 0.0
    for (a, e) in zip(actual, expected) {
        let value = Double(a)
        dot += value * e
        actualNorm += value * value
        expectedNorm += e * e
        maxDifference = max(maxDifference, abs(value - e))
    }
    return (dot / (actualNorm.squareRoot() * expectedNorm.squareRoot()), maxDifference)
}
