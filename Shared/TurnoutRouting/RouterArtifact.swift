import Foundation
import TurnoutStorage
import TurnoutJSON

/// A trained router on disk: what it is, what it was trained on and with, and its weights,
/// sealed with a checksum so a damaged or hand-edited file is refused rather than misroute.
///
/// Layout: `{"checksum": "<sha256 hex of the payload bytes>", "payload": {...}}`, the payload
/// written with sorted keys. The scorer refuses an artifact whose embedding model differs
/// from the one it embeds with: vectors from another model are meaningless to it.
public struct RouterArtifact: Codable, Sendable {
    public static let formatVersion = 1

    public enum Weights: Codable, Sendable {
        case matrixFactorization(MatrixFactorization)
        case classifier(LogisticClassifier)
        /// `sw_ranking`: the training battles themselves, compact.
        case similarityRanking(QuantizedSimilarityRanking)
        /// `gain`: Turnout's expected-gain router (docs/routers.md).
        case expectedGain(ExpectedGainRouter)

        /// The embedding size the weights were made for.
        var dimensions: Int {
            switch self {
            case let .matrixFactorization(model): model.embeddingDimensions
            case let .classifier(model): model.dimensions
            case let .similarityRanking(model): model.dimensions
            case let .expectedGain(model): model.heads.dimensions
            }
        }
    }

    public var formatVersion: Int
    /// `mf`, `classifier`, `sw_ranking`, `gain`
    public var kind: String
    public var embeddingModel: String
    public var embeddingDimensions: Int
    public var hyperparameters: [String: Double]
    /// SHA-256 over the training prompts and labels, to tell artifacts' provenance apart.
    public var trainingDataSHA256: String
    public var trainingBattles: Int
    public var createdAt: String
    /// Threshold per strong-call fraction ("0.3" -> threshold), calibrated on the training prompts.
    public var calibration: [String: Double]
    /// What it was trained on, source by source, with counts and licences; nil in artifacts
    /// made before sources were recorded.
    public var trainingSources: [TrainingSource]?
    public var weights: Weights
    /// SHA-256 of the payload as read from disk (empty for an artifact not yet written or read).
    public internal(set) var checksum = ""
    /// mf folded into one vector when the artifact is made or read (not stored).
    private var mfScoringVector: [Float]?

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version"
        case kind
        case embeddingModel = "embedding_model"
        case embeddingDimensions = "embedding_dims"
        case hyperparameters
        case trainingDataSHA256 = "training_data_sha256"
        case trainingBattles = "training_battles"
        case createdAt = "created_at"
        case calibration, weights
        case trainingSources = "training_sources"
    }

    public init(kind: String, embeddingModel: String, embeddingDimensions: Int, hyperparameters: [String: Double], trainingDataSHA256: String,
                trainingBattles: Int, createdAt: Date = Date(), calibration: [String: Double], weights: Weights, trainingSources: [TrainingSource]? = nil) {
        formatVersion = Self.formatVersion
        self.kind = kind
        self.embeddingModel = embeddingModel
        self.embeddingDimensions = embeddingDimensions
        self.hyperparameters = hyperparameters
        self.trainingDataSHA256 = trainingDataSHA256
        self.trainingBattles = trainingBattles
        self.createdAt = ISO8601DateFormatter().string(from: createdAt)
        self.calibration = calibration
        self.weights = weights
        self.trainingSources = trainingSources
        prepare()
    }

    /// Precomputes what scoring needs.
    mutating func prepare() {
        if case let .matrixFactorization(model) = weights { mfScoringVector = model.scoringVector() }
    }

    /// The strong model's win rate for a prompt embedding.
    public func winRate(for embedding: [Float]) -> Double {
        switch weights {
        case let .matrixFactorization(model):
            mfScoringVector.map { MatrixFactorization.winRate(scoringVector: $0, embedding: embedding) } ?? model.winRate(for: embedding)
        case let .classifier(model): model.winRate(for: embedding)
        case let .similarityRanking(model): model.winRate(for: embedding)
        case let .expectedGain(model): model.winRate(for: embedding)
        }
    }

    /// Win rates of many prompts, as `winRate(for:)` each (gain's neighbour search batched),
    /// for evaluation.
    public func winRates(for embeddings: [[Float]]) -> [Double] {
        if case let .expectedGain(model) = weights { return model.winRates(for: embeddings) }
        return embeddings.map(winRate(for:))
    }

    /// The payload as written to disk: the encoding its checksum is taken over.
    func payload() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(self))
    }

    /// The checksum this artifact has once written (its version is the first 12 characters),
    /// for one made in memory and not written yet.
    public func sealedChecksum() throws -> String {
        checksum.isEmpty ? SHA256.hex(SHA256.hash(try payload())) : checksum
    }

    /// Writes the artifact atomically (a temporary file renamed into place), so a reader never sees half a file.
    public func write(to url: URL) throws {
        let payload = try self.payload()
        var bytes = Array("{\"checksum\":\"\(SHA256.hex(SHA256.hash(payload)))\",\"payload\":".utf8)
        bytes.append(contentsOf: payload)
        bytes.append(contentsOf: Array("}\n".utf8))
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        try Data(bytes).write(to: temporary)
        // rename(2) replaces the old file in one step; a reader sees the old artifact or the new one.
        guard rename(temporary.path, url.path) == 0 else {
            let code = errno
            try? FileManager.default.removeItem(at: temporary)
            throw ArtifactError(path: url.path, problem: "could not be written: \(String(cString: strerror(code)))")
        }
    }

    /// Reads and verifies an artifact.
    /// - Parameters:
    ///   - expectedModel, expectedDimensions: the embedding model the caller will use; nil skips the check.
    /// - Throws: `ArtifactError` naming the file and what is wrong with it.
    public static func load(from url: URL, expectedModel: String? = nil, expectedDimensions: Int? = nil) throws(ArtifactError) -> RouterArtifact {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ArtifactError(path: url.path, problem: "cannot be read: \(error.localizedDescription)")
        }
        let bytes = Array(data)
        guard let (checksum, payloadRange) = locate(bytes) else {
            throw ArtifactError(path: url.path, problem: "is not a router artifact (expected {\"checksum\", \"payload\"})")
        }
        let payload = Array(bytes[payloadRange])
        guard SHA256.hex(SHA256.hash(payload)) == checksum else {
            throw ArtifactError(path: url.path, problem: "is damaged: its checksum does not match its contents")
        }
        var artifact: RouterArtifact
        do {
            artifact = try JSONDecoder().decode(RouterArtifact.self, from: Data(payload))
            artifact.checksum = checksum
            artifact.prepare()
        } catch {
            throw ArtifactError(path: url.path, problem: "has a checksum that matches but a payload that does not decode: \(error)")
        }
        guard artifact.formatVersion == formatVersion else {
            throw ArtifactError(path: url.path, problem: "uses format version \(artifact.formatVersion); this build reads version \(formatVersion)")
        }
        guard artifact.weights.dimensions == artifact.embeddingDimensions else {
            throw ArtifactError(path: url.path, problem: "declares \(artifact.embeddingDimensions)-dimensional embeddings but holds weights for \(artifact.weights.dimensions)")
        }
        if let expectedModel, artifact.embeddingModel != expectedModel {
            throw ArtifactError(path: url.path, problem: "was trained on embeddings of \(artifact.embeddingModel), but this service embeds with \(expectedModel); retrain it with turnout train")
        }
        if let expectedDimensions, artifact.embeddingDimensions != expectedDimensions {
            throw ArtifactError(path: url.path, problem: "expects \(artifact.embeddingDimensions)-dimensional embeddings, not \(expectedDimensions)")
        }
        return artifact
    }

    /// The checksum and the byte range of the payload object, found by the wire's validating scanner.
    private static func locate(_ bytes: [UInt8]) -> (String, Range<Int>)? {
        var scanner = JSONScanner(bytes: bytes)
        var checksum: String?
        var payload: Range<Int>?
        do throws(JSONError) {
            try scanner.readObject { (key: String, scanner: inout JSONScanner) throws(JSONError) in
                switch key {
                case "checksum": checksum = try scanner.readString()
                case "payload": payload = try scanner.skipValue()
                default: try scanner.skipValue()
                }
            }
        } catch {
            return nil
        }
        guard let checksum, let payload else { return nil }
        return (checksum, payload)
    }
}

/// Why an artifact cannot be used.
public struct ArtifactError: Error, Sendable, CustomStringConvertible {
    public let path: String
    public let problem: String
    public var description: String { "router artifact \(path) \(problem)" }
}
