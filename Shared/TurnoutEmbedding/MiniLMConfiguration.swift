import Foundation

/// The shape of a BERT encoder, as `config.json` describes it.
///
/// Defaults are all-MiniLM-L6-v2's, so a model directory without config.json still loads;
/// when the file is present its values win and are checked against what this encoder
/// supports (absolute positions, GELU, heads dividing the hidden size, widths in whole
/// 16-float vectors).
public struct MiniLMConfiguration: Sendable, Equatable {
    public var hiddenSize = 384
    public var layerCount = 6
    public var headCount = 12
    public var intermediateSize = 1536
    public var maxPositions = 512
    public var vocabularySize = 30522
    public var typeVocabularySize = 2
    public var layerNormEpsilon: Float = 1e-12

    /// all-MiniLM-L6-v2's configuration.
    public init() {}

    /// Width of one attention head.
    public var headSize: Int { hiddenSize / headCount }

    /// Reads `config.json` at `path`; absent keys keep their defaults.
    /// - Throws: `EmbeddingModelError.invalidConfiguration` for malformed JSON or unsupported values.
    public init(contentsOf path: String) throws(EmbeddingModelError) {
        let file: ConfigFile
        do {
            file = try JSONDecoder().decode(ConfigFile.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw .invalidConfiguration(path: path, reason: "cannot decode: \(error)")
        }
        self.init()
        hiddenSize = file.hiddenSize ?? hiddenSize
        layerCount = file.layerCount ?? layerCount
        headCount = file.headCount ?? headCount
        intermediateSize = file.intermediateSize ?? intermediateSize
        maxPositions = file.maxPositions ?? maxPositions
        vocabularySize = file.vocabularySize ?? vocabularySize
        typeVocabularySize = file.typeVocabularySize ?? typeVocabularySize
        layerNormEpsilon = file.layerNormEpsilon.map(Float.init) ?? layerNormEpsilon
        if let activation = file.activation, activation != "gelu" {
            throw .invalidConfiguration(path: path, reason: "hidden_act \"\(activation)\" is not supported (only exact GELU, \"gelu\")")
        }
        if let positions = file.positionEmbeddingType, positions != "absolute" {
            throw .invalidConfiguration(path: path, reason: "position_embedding_type \"\(positions)\" is not supported (only \"absolute\")")
        }
        if let problem = problem {
            throw .invalidConfiguration(path: path, reason: problem)
        }
    }

    /// Why this configuration cannot be run, or nil when it can.
    public var problem: String? {
        let sizes = [hiddenSize, layerCount, headCount, intermediateSize, maxPositions, vocabularySize, typeVocabularySize]
        guard sizes.allSatisfy({ $0 > 0 && $0 <= 1 << 20 }) else {
            return "sizes must be positive and at most 2^20"
        }
        guard hiddenSize % 16 == 0, intermediateSize % 16 == 0 else {
            return "hidden_size \(hiddenSize) and intermediate_size \(intermediateSize) must be multiples of 16 (the kernels' vector width)"
        }
        guard hiddenSize % headCount == 0 else {
            return "hidden_size \(hiddenSize) is not a multiple of num_attention_heads \(headCount)"
        }
        guard layerNormEpsilon.isFinite, layerNormEpsilon > 0 else {
            return "layer_norm_eps must be positive"
        }
        return nil
    }

    /// The keys of HuggingFace's BertConfig this encoder reads.
    private struct ConfigFile: Decodable {
        let hiddenSize: Int?
        let layerCount: Int?
        let headCount: Int?
        let intermediateSize: Int?
        let maxPositions: Int?
        let vocabularySize: Int?
        let typeVocabularySize: Int?
        let layerNormEpsilon: Double?
        let activation: String?
        let positionEmbeddingType: String?

        enum CodingKeys: String, CodingKey {
            case hiddenSize = "hidden_size"
            case layerCount = "num_hidden_layers"
            case headCount = "num_attention_heads"
            case intermediateSize = "intermediate_size"
            case maxPositions = "max_position_embeddings"
            case vocabularySize = "vocab_size"
            case typeVocabularySize = "type_vocab_size"
            case layerNormEpsilon = "layer_norm_eps"
            case activation = "hidden_act"
            case positionEmbeddingType = "position_embedding_type"
        }
    }
}
