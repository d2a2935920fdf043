/// The encoder's parameters, checked against the configuration and laid out for the forward pass.
///
/// Most tensors are used in place from the mapped file. Two are built at load time because
/// they save work on every call: the query, key and value projections are stacked into one
/// [3H, H] matrix (one sgemm instead of three), and the position and token-type-0 embeddings
/// are summed into one table (every token has type 0 here).
final class MiniLMWeights: @unchecked Sendable {
    // @unchecked Sendable: every pointer refers to memory owned by `tensors` (mapped read-only
    // or built before init returns) and nothing writes to it afterwards.

    /// One transformer layer; all matrices are PyTorch `Linear` weights, [out, in], row-major.
    struct Layer {
        let queryKeyValueWeight: UnsafePointer<Float>
        let queryKeyValueBias: UnsafePointer<Float>
        let attentionOutputWeight: UnsafePointer<Float>
        let attentionOutputBias: UnsafePointer<Float>
        let attentionNormScale: UnsafePointer<Float>
        let attentionNormBias: UnsafePointer<Float>
        let intermediateWeight: UnsafePointer<Float>
        let intermediateBias: UnsafePointer<Float>
        let outputWeight: UnsafePointer<Float>
        let outputBias: UnsafePointer<Float>
        let outputNormScale: UnsafePointer<Float>
        let outputNormBias: UnsafePointer<Float>
    }

    let configuration: MiniLMConfiguration
    /// [vocabulary, H]
    let wordEmbeddings: UnsafePointer<Float>
    /// [maxPositions, H]: position embedding plus the token-type-0 embedding.
    let positionEmbeddings: UnsafePointer<Float>
    let embeddingNormScale: UnsafePointer<Float>
    let embeddingNormBias: UnsafePointer<Float>
    let layers: [Layer]
    /// Keeps every pointer above valid.
    private let tensors: [FloatTensor]

    /// Reads and checks every tensor the encoder needs.
    /// Names may carry a `bert.` prefix (BertModel checkpoints saved from a task head).
    /// - Throws: `SafetensorsError` for a missing tensor, a wrong shape or an unreadable dtype.
    init(file: SafetensorsFile, configuration: MiniLMConfiguration) throws(SafetensorsError) {
        let hidden = configuration.hiddenSize, inner = configuration.intermediateSize
        let prefix = file.info("embeddings.word_embeddings.weight") == nil && file.info("bert.embeddings.word_embeddings.weight") != nil ? "bert." : ""
        var tensors: [FloatTensor] = []
        func load(_ name: String, _ shape: [Int]) throws(SafetensorsError) -> FloatTensor {
            let tensor = try file.floats(prefix + name, shape: shape)
            tensors.append(tensor)
            return tensor
        }

        wordEmbeddings = try load("embeddings.word_embeddings.weight", [configuration.vocabularySize, hidden]).base
        let positions = try load("embeddings.position_embeddings.weight", [configuration.maxPositions, hidden])
        let tokenTypes = try load("embeddings.token_type_embeddings.weight", [configuration.typeVocabularySize, hidden])
        let combined = FloatTensor.filled(name: "position+type0", shape: positions.shape) { output in
            for position in 0..<configuration.maxPositions {
                for channel in 0..<hidden {
                    output[position * hidden + channel] = positions.base[position * hidden + channel] + tokenTypes.base[channel]
                }
            }
        }
        tensors.append(combined)
        positionEmbeddings = combined.base
        embeddingNormScale = try load("embeddings.LayerNorm.weight", [hidden]).base
        embeddingNormBias = try load("embeddings.LayerNorm.bias", [hidden]).base

        var layers: [Layer] = []
        for index in 0..<configuration.layerCount {
            let name = "encoder.layer.\(index)."
            let parts = [
                try load(name + "attention.self.query.weight", [hidden, hidden]),
                try load(name + "attention.self.key.weight", [hidden, hidden]),
                try load(name + "attention.self.value.weight", [hidden, hidden]),
            ]
            let biases = [
                try load(name + "attention.self.query.bias", [hidden]),
                try load(name + "attention.self.key.bias", [hidden]),
                try load(name + "attention.self.value.bias", [hidden]),
            ]
            let stackedWeight = FloatTensor.filled(name: name + "qkv.weight", shape: [3 * hidden, hidden]) { output in
                for (part, tensor) in parts.enumerated() {
                    for element in 0..<tensor.count { output[part * tensor.count + element] = tensor.base[element] }
                }
            }
            let stackedBias = FloatTensor.filled(name: name + "qkv.bias", shape: [3 * hidden]) { output in
                for (part, tensor) in biases.enumerated() {
                    for element in 0..<hidden { output[part * hidden + element] = tensor.base[element] }
                }
            }
            tensors.append(stackedWeight)
            tensors.append(stackedBias)
            layers.append(Layer(
                queryKeyValueWeight: stackedWeight.base,
                queryKeyValueBias: stackedBias.base,
                attentionOutputWeight: try load(name + "attention.output.dense.weight", [hidden, hidden]).base,
                attentionOutputBias: try load(name + "attention.output.dense.bias", [hidden]).base,
                attentionNormScale: try load(name + "attention.output.LayerNorm.weight", [hidden]).base,
                attentionNormBias: try load(name + "attention.output.LayerNorm.bias", [hidden]).base,
                intermediateWeight: try load(name + "intermediate.dense.weight", [inner, hidden]).base,
                intermediateBias: try load(name + "intermediate.dense.bias", [inner]).base,
                outputWeight: try load(name + "output.dense.weight", [hidden, inner]).base,
                outputBias: try load(name + "output.dense.bias", [hidden]).base,
                outputNormScale: try load(name + "output.LayerNorm.weight", [hidden]).base,
                outputNormBias: try load(name + "output.LayerNorm.bias", [hidden]).base
            ))
        }
        self.configuration = configuration
        self.layers = layers
        self.tensors = tensors
    }
}
