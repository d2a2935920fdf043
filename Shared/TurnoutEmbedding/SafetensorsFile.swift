import Foundation

/// A memory-mapped, fully validated safetensors file.
///
/// Layout: an 8-byte little-endian header length `n`, `n` bytes of JSON mapping tensor names to
/// `{dtype, shape, data_offsets}` (plus an optional free-form `__metadata__`), then the data.
/// Everything is checked when the file is opened (lengths, offsets against the data region and
/// against each tensor's shape and dtype, no overlaps), so a truncated or corrupt download is
/// reported as a `SafetensorsError` naming the file instead of crashing on a bad read later.
public struct SafetensorsFile: Sendable {
    /// Header sizes above this are treated as corruption (the reference implementation's limit).
    public static let maximumHeaderLength: UInt64 = 100_000_000

    public let path: String
    private let mapping: FileMapping
    private let dataStart: Int
    private let tensors: [String: TensorInfo]

    /// Maps and validates the file at `path`.
    /// - Throws: `SafetensorsError` naming `path` and what is wrong with it.
    public init(path: String) throws(SafetensorsError) {
        let mapping = try FileMapping(path: path, minimumLength: 8)
        let headerLength = UInt64(littleEndian: mapping.base.loadUnaligned(as: UInt64.self))
        guard headerLength >= 2, headerLength <= Self.maximumHeaderLength, headerLength <= UInt64(mapping.length - 8) else {
            throw SafetensorsError(path: path, kind: .headerLengthOutOfRange(headerLength: headerLength, fileSize: mapping.length))
        }
        let dataStart = 8 + Int(headerLength)
        let header = Data(bytes: mapping.base + 8, count: Int(headerLength))
        self.path = path
        self.mapping = mapping
        self.dataStart = dataStart
        self.tensors = try Self.parseHeader(header, dataLength: mapping.length - dataStart, path: path)
    }

    /// Names of all tensors, sorted.
    public var tensorNames: [String] { tensors.keys.sorted() }

    /// The header entry for `name`, if the file has such a tensor.
    public func info(_ name: String) -> TensorInfo? { tensors[name] }

    /// The tensor `name` as floats: zero-copy for aligned F32, widened for F16 and BF16.
    /// - Parameter expected: when given, the shape the tensor must have.
    /// - Throws: `.tensorNotFound`, `.unsupportedDType` or `.shapeMismatch`.
    public func floats(_ name: String, shape expected: [Int]? = nil) throws(SafetensorsError) -> FloatTensor {
        guard let info = tensors[name] else {
            throw SafetensorsError(path: path, kind: .tensorNotFound(name: name))
        }
        guard info.dtype.isReadableAsFloat else {
            throw SafetensorsError(path: path, kind: .unsupportedDType(name: name, dtype: info.dtype.rawValue))
        }
        if let expected, expected != info.shape {
            throw SafetensorsError(path: path, kind: .shapeMismatch(name: name, expected: expected, actual: info.shape))
        }
        let source = mapping.base + dataStart + info.byteRange.lowerBound
        #if _endian(little)
        if info.dtype == .f32, Int(bitPattern: source) % MemoryLayout<Float>.alignment == 0 {
            return FloatTensor(name: name, shape: info.shape, base: source.assumingMemoryBound(to: Float.self), count: info.elementCount, owner: mapping)
        }
        #endif
        return FloatTensor.converting(name: name, shape: info.shape, dtype: info.dtype, source: source)
    }

    // MARK: - Header validation

    /// One entry of the JSON header, before validation.
    private struct RawEntry: Decodable {
        let dtype: String
        let shape: [Int]
        let dataOffsets: [Int]

        enum CodingKeys: String, CodingKey {
            case dtype, shape
            case dataOffsets = "data_offsets"
        }
    }

    /// The JSON header: tensor entries keyed by name; `__metadata__` is allowed and ignored.
    private struct RawHeader: Decodable {
        var entries: [(name: String, entry: RawEntry)] = []

        struct Key: CodingKey {
            let stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            for key in container.allKeys where key.stringValue != "__metadata__" {
                entries.append((key.stringValue, try container.decode(RawEntry.self, forKey: key)))
            }
        }
    }

    private static func parseHeader(_ header: Data, dataLength: Int, path: String) throws(SafetensorsError) -> [String: TensorInfo] {
        let raw: RawHeader
        do {
            raw = try JSONDecoder().decode(RawHeader.self, from: header)
        } catch let error as DecodingError {
            throw SafetensorsError(path: path, kind: .invalidHeader(reason: describe(error)))
        } catch {
            throw SafetensorsError(path: path, kind: .invalidHeader(reason: String(describing: error)))
        }
        var tensors: [String: TensorInfo] = [:]
        for (name, entry) in raw.entries {
            tensors[name] = try validate(name: name, entry: entry, dataLength: dataLength, path: path)
        }
        // No two tensors may share bytes: sort by start and compare each with its predecessor.
        let ordered = tensors.values.filter { !$0.byteRange.isEmpty }.sorted { $0.byteRange.lowerBound < $1.byteRange.lowerBound }
        for (previous, next) in zip(ordered, ordered.dropFirst()) where next.byteRange.lowerBound < previous.byteRange.upperBound {
            throw SafetensorsError(path: path, kind: .overlappingTensors(first: previous.name, second: next.name))
        }
        return tensors
    }

    private static func validate(name: String, entry: RawEntry, dataLength: Int, path: String) throws(SafetensorsError) -> TensorInfo {
        func invalid(_ reason: String) -> SafetensorsError {
            SafetensorsError(path: path, kind: .invalidTensor(name: name, reason: reason))
        }
        guard let dtype = SafetensorsDType(rawValue: entry.dtype) else {
            throw SafetensorsError(path: path, kind: .unknownDType(name: name, dtype: entry.dtype))
        }
        guard entry.shape.allSatisfy({ $0 >= 0 }) else {
            throw invalid("negative dimension in shape \(entry.shape)")
        }
        var byteCount = dtype.byteSize
        for dimension in entry.shape {
            let (product, overflow) = byteCount.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw invalid("shape \(entry.shape) is too large") }
            byteCount = product
        }
        guard entry.dataOffsets.count == 2 else {
            throw invalid("data_offsets must be [begin, end], got \(entry.dataOffsets)")
        }
        let begin = entry.dataOffsets[0], end = entry.dataOffsets[1]
        guard begin >= 0, begin <= end else {
            throw invalid("data_offsets \(entry.dataOffsets) are not an ascending pair")
        }
        guard end <= dataLength else {
            throw invalid("data_offsets \(entry.dataOffsets) end past the \(dataLength)-byte data region (truncated file?)")
        }
        guard end - begin == byteCount else {
            throw invalid("data_offsets span \(end - begin) bytes but \(dtype.rawValue) \(entry.shape) needs \(byteCount)")
        }
        return TensorInfo(name: name, dtype: dtype, shape: entry.shape, byteRange: begin..<end)
    }

    /// A one-line reason from a decoding error: where in the header, and what was wrong.
    private static func describe(_ error: DecodingError) -> String {
        func location(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map(\.stringValue).joined(separator: ".")
            return keys.isEmpty ? "" : " at \(keys)"
        }
        switch error {
        case .dataCorrupted(let context):
            return context.debugDescription + location(context)
        case .keyNotFound(let key, let context):
            return "missing \"\(key.stringValue)\"" + location(context)
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return context.debugDescription + location(context)
        @unknown default:
            return String(describing: error)
        }
    }
}
