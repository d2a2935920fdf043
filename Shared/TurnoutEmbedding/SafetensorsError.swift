/// Why a safetensors file could not be used, with the file's path.
///
/// The model file is downloaded by `scripts/setup.sh`; nearly every way it can be unusable
/// (missing, cut short by an interrupted download, overwritten) is fixed by running that again,
/// so every message says so rather than leaving the operator to guess.
public struct SafetensorsError: Error, Equatable, CustomStringConvertible {
    /// What exactly is wrong; tests and callers match on this.
    public enum Kind: Equatable, Sendable {
        /// No file at the path.
        case fileNotFound
        /// The file exists but could not be opened, inspected or mapped (`reason` is the OS error).
        case unreadable(reason: String)
        /// Shorter than the 8-byte length prefix every safetensors file starts with.
        case tooSmall(fileSize: Int)
        /// The header length prefix is zero, absurdly large, or points past the end of the file.
        case headerLengthOutOfRange(headerLength: UInt64, fileSize: Int)
        /// The header is not a JSON object of tensor entries.
        case invalidHeader(reason: String)
        /// A tensor entry is inconsistent (bad shape, offsets outside the data, size mismatch).
        case invalidTensor(name: String, reason: String)
        /// A tensor names a dtype this reader does not know, so its size cannot be checked.
        case unknownDType(name: String, dtype: String)
        /// Two tensors claim the same bytes.
        case overlappingTensors(first: String, second: String)
        /// A tensor the caller needs is not in the file.
        case tensorNotFound(name: String)
        /// The tensor exists but its dtype cannot be read as 32-bit floats.
        case unsupportedDType(name: String, dtype: String)
        /// The tensor exists but has a different shape from the one the model needs.
        case shapeMismatch(name: String, expected: [Int], actual: [Int])
    }

    /// The file the error is about.
    public let path: String
    public let kind: Kind

    public init(path: String, kind: Kind) {
        self.path = path
        self.kind = kind
    }

    public var description: String {
        "\(path): \(problem). Run scripts/setup.sh to download the model again (it checks the file's SHA-256)."
    }

    private var problem: String {
        switch kind {
        case .fileNotFound:
            return "model weights not found"
        case .unreadable(let reason):
            return "cannot read the file (\(reason))"
        case .tooSmall(let fileSize):
            return "file is \(fileSize) bytes, too short to be a safetensors file (truncated download?)"
        case .headerLengthOutOfRange(let headerLength, let fileSize):
            return "header length \(headerLength) does not fit in the \(fileSize)-byte file (truncated or not a safetensors file)"
        case .invalidHeader(let reason):
            return "header is not valid safetensors JSON: \(reason)"
        case .invalidTensor(let name, let reason):
            return "tensor \"\(name)\" is invalid: \(reason)"
        case .unknownDType(let name, let dtype):
            return "tensor \"\(name)\" has unknown dtype \"\(dtype)\""
        case .overlappingTensors(let first, let second):
            return "tensors \"\(first)\" and \"\(second)\" overlap in the data region"
        case .tensorNotFound(let name):
            return "tensor \"\(name)\" is missing (wrong model file?)"
        case .unsupportedDType(let name, let dtype):
            return "tensor \"\(name)\" has dtype \(dtype); only F32, F16 and BF16 can be read as floats"
        case .shapeMismatch(let name, let expected, let actual):
            return "tensor \"\(name)\" has shape \(actual), expected \(expected) (wrong model file?)"
        }
    }
}
