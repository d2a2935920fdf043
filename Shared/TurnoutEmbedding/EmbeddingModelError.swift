/// Why the embedding model could not be loaded, with the path at fault.
///
/// The model directory is filled by `scripts/setup.sh`, so every message ends with that
/// command: whoever reads the log should not have to know where the files come from.
public enum EmbeddingModelError: Error, Equatable, CustomStringConvertible {
    /// A required file (vocab.txt, model.safetensors) does not exist.
    case missingFile(path: String)
    /// The file exists but could not be read.
    case unreadableFile(path: String, reason: String)
    /// vocab.txt is empty or lacks a special token the model needs.
    case invalidVocabulary(path: String, reason: String)
    /// config.json is not valid JSON or describes a model this encoder cannot run.
    case invalidConfiguration(path: String, reason: String)
    /// model.safetensors is missing, damaged or holds the wrong tensors.
    case invalidWeights(SafetensorsError)

    /// The command that (re)creates the model directory.
    public static let setupHint = "Run scripts/setup.sh to download all-MiniLM-L6-v2 into models/all-MiniLM-L6-v2 (or point TURNOUT_MODEL_DIR at a directory holding it)."

    public var description: String {
        switch self {
        case .missingFile(let path):
            return "\(path): model file not found. \(Self.setupHint)"
        case .unreadableFile(let path, let reason):
            return "\(path): cannot read the file (\(reason)). \(Self.setupHint)"
        case .invalidVocabulary(let path, let reason):
            return "\(path): invalid vocabulary: \(reason). \(Self.setupHint)"
        case .invalidConfiguration(let path, let reason):
            return "\(path): invalid model configuration: \(reason). \(Self.setupHint)"
        case .invalidWeights(let error):
            return error.description
        }
    }
}
