import Foundation

/// The artifact form: the int8 codes and the float32 scales (little-endian) base64-encoded,
/// because a JSON number per component would make an MMLU-sized store (14,042 rows of 384)
/// several times larger and slow to parse; the gains stay a JSON array.
///
/// Decoding checks every length and value that scoring relies on, so a file that passes its
/// checksum but was written wrongly is refused at load instead of misrouting.
extension NeighbourGain: Codable {
    enum CodingKeys: String, CodingKey {
        case dimensions, neighbours, codes, scales, gains, weights
        case priorWeight = "prior_weight"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let dimensions = try container.decode(Int.self, forKey: .dimensions)
        guard (1...65536).contains(dimensions) else {
            throw DecodingError.dataCorruptedError(forKey: .dimensions, in: container, debugDescription: "must be between 1 and 65536, not \(dimensions)")
        }
        let neighbours = try container.decode(Int.self, forKey: .neighbours)
        guard neighbours >= 1 else {
            throw DecodingError.dataCorruptedError(forKey: .neighbours, in: container, debugDescription: "must be at least 1, not \(neighbours)")
        }
        let priorWeight = try container.decode(Double.self, forKey: .priorWeight)
        guard priorWeight.isFinite, priorWeight >= 0 else {
            throw DecodingError.dataCorruptedError(forKey: .priorWeight, in: container, debugDescription: "must be finite and not negative, not \(priorWeight)")
        }
        let gains = try container.decode([Float].self, forKey: .gains)
        if let bad = gains.firstIndex(where: { !$0.isFinite || abs($0) > 1 }) {
            throw DecodingError.dataCorruptedError(forKey: .gains, in: container, debugDescription: "row \(bad) has gain \(gains[bad]); gains lie in -1...1")
        }
        let codeBytes = try Self.base64(.codes, in: container)
        let scaleBytes = try Self.base64(.scales, in: container)
        guard scaleBytes.count == 4 * gains.count else {
            throw DecodingError.dataCorruptedError(forKey: .scales, in: container, debugDescription: "holds \(scaleBytes.count) bytes; \(gains.count) rows need \(4 * gains.count)")
        }
        guard codeBytes.count == dimensions * gains.count else {
            throw DecodingError.dataCorruptedError(forKey: .codes, in: container,
                                                   debugDescription: "holds \(codeBytes.count) bytes; \(gains.count) rows of \(dimensions) need \(dimensions * gains.count)")
        }
        let scales = (0..<gains.count).map { row in
            Float(bitPattern: UInt32(scaleBytes[4 * row]) | UInt32(scaleBytes[4 * row + 1]) << 8 | UInt32(scaleBytes[4 * row + 2]) << 16 | UInt32(scaleBytes[4 * row + 3]) << 24)
        }
        if let bad = scales.firstIndex(where: { !$0.isFinite || $0 < 0 }) {
            throw DecodingError.dataCorruptedError(forKey: .scales, in: container, debugDescription: "row \(bad) has scale \(scales[bad]); scales are finite and not negative")
        }
        let weights = try container.decodeIfPresent([Float].self, forKey: .weights)
        if let weights {
            guard weights.count == gains.count else {
                throw DecodingError.dataCorruptedError(forKey: .weights, in: container, debugDescription: "holds \(weights.count) values for \(gains.count) rows")
            }
            if let bad = weights.firstIndex(where: { !$0.isFinite || $0 < 0 }) {
                throw DecodingError.dataCorruptedError(forKey: .weights, in: container, debugDescription: "row \(bad) has weight \(weights[bad]); weights are finite and not negative")
            }
        }
        self.init(dimensions: dimensions, codes: codeBytes.map { Int8(bitPattern: $0) }, scales: scales, gains: gains, weights: weights,
                  neighbours: neighbours, priorWeight: priorWeight)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(dimensions, forKey: .dimensions)
        try container.encode(neighbours, forKey: .neighbours)
        try container.encode(priorWeight, forKey: .priorWeight)
        try container.encode(gains, forKey: .gains)
        // Absent when every prompt counts 1, so unweighted artifacts are as they were.
        try container.encodeIfPresent(weights, forKey: .weights)
        try container.encode(Data(codes.map { UInt8(bitPattern: $0) }).base64EncodedString(), forKey: .codes)
        var scaleBytes: [UInt8] = []
        scaleBytes.reserveCapacity(4 * scales.count)
        for scale in scales {
            let bits = scale.bitPattern
            scaleBytes.append(contentsOf: [UInt8(truncatingIfNeeded: bits), UInt8(truncatingIfNeeded: bits >> 8),
                                           UInt8(truncatingIfNeeded: bits >> 16), UInt8(truncatingIfNeeded: bits >> 24)])
        }
        try container.encode(Data(scaleBytes).base64EncodedString(), forKey: .scales)
    }

    private static func base64(_ key: CodingKeys, in container: KeyedDecodingContainer<CodingKeys>) throws -> [UInt8] {
        guard let data = Data(base64Encoded: try container.decode(String.self, forKey: key)) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "is not valid base64")
        }
        return Array(data)
    }
}
