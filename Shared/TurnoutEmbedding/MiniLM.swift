import Foundation

/// all-MiniLM-L6-v2 sentence embeddings, loaded from a model directory: tokenizer plus encoder.
///
/// The directory (normally `models/all-MiniLM-L6-v2`, filled by `scripts/setup.sh`) must hold
/// `vocab.txt` and `model.safetensors`; `config.json` is read when present. Texts become
/// 384-dimensional unit vectors whose dot product is their cosine similarity.
///
/// Thread safety: immutable after loading; `embed`, `tokenize` and `encode` may be called from
/// any number of threads at once (see `MiniLMEncoder` for how that affects throughput).
public final class MiniLM: Sendable {
    /// The model's name on HuggingFace, the id vectors are served and cached under.
    public static let defaultModelID = "sentence-transformers/all-MiniLM-L6-v2"
    /// Most stacked tokens per forward pass in `embed`, bounding scratch memory (~130 MB).
    public static let tokensPerPass = 8192

    public let modelID: String
    public let directory: URL
    public let tokenizer: BertTokenizer
    public let encoder: MiniLMEncoder

    /// Loads the model in `directory`.
    /// - Parameters:
    ///   - maxSequenceLength: ids per text including `[CLS]` and `[SEP]` (sentence-transformers uses 256).
    ///   - precision: what the encoder's projections compute in (fp32, the reference, by default).
    /// - Throws: `EmbeddingModelError` naming the missing or damaged file and the set-up command.
    public init(directory: URL, modelID: String = MiniLM.defaultModelID, maxSequenceLength: Int = 256,
                precision: EncoderPrecision = .float32) throws(EmbeddingModelError) {
        let vocabularyPath = directory.appendingPathComponent("vocab.txt").path
        let weightsPath = directory.appendingPathComponent("model.safetensors").path
        let configurationPath = directory.appendingPathComponent("config.json").path
        for path in [vocabularyPath, weightsPath] where !FileManager.default.fileExists(atPath: path) {
            throw .missingFile(path: path)
        }
        let configuration = FileManager.default.fileExists(atPath: configurationPath)
            ? try MiniLMConfiguration(contentsOf: configurationPath) : MiniLMConfiguration()
        let vocabulary = try WordPieceVocabulary(contentsOf: vocabularyPath)
        guard vocabulary.count <= configuration.vocabularySize else {
            throw .invalidVocabulary(path: vocabularyPath, reason: "\(vocabulary.count) tokens but the model embeds only \(configuration.vocabularySize)")
        }
        let file: SafetensorsFile
        do {
            file = try SafetensorsFile(path: weightsPath)
        } catch {
            throw .invalidWeights(error)
        }
        encoder = try MiniLMEncoder(file: file, configuration: configuration, unknownTokenID: vocabulary.unknownID, precision: precision)
        self.modelID = modelID
        self.directory = directory
        tokenizer = BertTokenizer(vocabulary: vocabulary, maxLength: min(maxSequenceLength, configuration.maxPositions))
    }

    /// Loads the model in the directory at `path`.
    public convenience init(path: String) throws(EmbeddingModelError) {
        try self.init(directory: URL(fileURLWithPath: path))
    }

    /// Length of every embedding (384).
    public var dimensions: Int { encoder.dimensions }

    /// Most ids `tokenize` returns per text.
    public var maxSequenceLength: Int { tokenizer.maxLength }

    /// What this model's vectors are cached under: the model id for the reference vectors
    /// (fp32, 256 tokens), which routers train on, and the id with the precision and the cut
    /// otherwise (`…@int8.3/256`), so that vectors that differ never stand in for one another.
    public var cacheNamespace: String {
        encoder.precision == .float32 && maxSequenceLength == 256 ? modelID : "\(modelID)@\(encoder.precision.cacheTag)/\(maxSequenceLength)"
    }

    /// Token ids of `text` (`[CLS] … [SEP]`, truncated to `maxSequenceLength`), for batching by length.
    public func tokenize(_ text: String) -> [Int32] {
        tokenizer.encode(text).ids
    }

    /// Unit-length embeddings of token sequences from `tokenize`, in order. Blocks while it computes.
    public func encode(_ batch: [[Int32]]) -> [[Float]] {
        encoder.encode(batch)
    }

    /// Unit-length embeddings of `texts`, in order, computed in passes of at most
    /// `tokensPerPass` tokens. Blocks while it computes.
    public func embed(_ texts: [String]) -> [[Float]] {
        var vectors: [[Float]] = []
        vectors.reserveCapacity(texts.count)
        var pass: [[Int32]] = []
        var passTokens = 0
        for text in texts {
            let ids = tokenize(text)
            if passTokens + ids.count > Self.tokensPerPass, !pass.isEmpty {
                vectors += encoder.encode(pass)
                pass.removeAll(keepingCapacity: true)
                passTokens = 0
            }
            pass.append(ids)
            passTokens += ids.count
        }
        if !pass.isEmpty { vectors += encoder.encode(pass) }
        return vectors
    }
}
