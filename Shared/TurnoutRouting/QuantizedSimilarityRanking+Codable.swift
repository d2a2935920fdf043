import Foundation

/// The artifact form: the int8 codes and the float32 scales (little-endian) base64-encoded,
/// because a JSON number per component would make an MMLU-sized artifact (14,042 rows of
/// 384) about four times larger and much slower to parse; the counts stay JSON arrays.
///
/// Decoding checks every length and value that scoring relies on, so a file that passes its
/// checksum but was written wrongly is refused at load instead of misrouting.
extension QuantizedSimilarityRanking: Codable {
    enum CodingKeys: String, CodingKey {
        case dimensions, codes, scales, ties
        case strongWins = "strong_wins"
        case weakWins = "weak_wins"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let dimensions = try container.decode(Int.self, forKey: .dimensions)
        guard (1...65536).contains(dimensions) else {
            throw DecodingError.dataCorruptedError(forKey: .dimensions, in: container, debugDescription: "dimensions must be between 1 and 65536, not \(dimensions)")
        }
        let codeBytes = try Self.base64(.codes, in: container)
        let scaleBytes = try Self.base64(.scales, in: container)
        guard scaleBytes.count % 4 == 0 else {
            throw DecodingError.dataCorruptedError(forKey: .scales, in: container, debugDescription: "holds \(scaleBytes.count) bytes, not a whole number of float32")
        }
        let rows = scaleBytes.count / 4
        guard codeBytes.count == rows * dimensions else {
            throw DecodingError.dataCorruptedError(forKey: .codes, in: container,
                                                   debugDescription: "holds \(codeBytes.count) bytes; \(rows) rows of \(dimensions) need \(rows * dimensions)")
        }
        let scales = (0..<rows).map { row in
            Float(bitPattern: UInt32(scaleBytes[4 * row]) | UInt32(scaleBytes[4 * row + 1]) << 8 | UInt32(scaleBytes[4 * row + 2]) << 16 | UInt32(scaleBytes[4 * row + 3]) << 24)
        }
        if let bad = scales.firstIndex(where: { !$0.isFinite || $0 < 0 }) {
            throw DecodingError.dataCorruptedError(forKey: .scales, in: container, debugDescription: "row \(bad) has scale \(scales[bad]); scales are finite and not negative")
        }
        var counts: [[UInt32]] = []
        for key in [CodingKeys.strongWins, .weakWins, .ties] {
            let values = try container.decode([UInt32].self, forKey: key)
            guard values.count == rows else {
                throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "has \(values.count) counts for \(rows) rows")
            }
            counts.append(values)
        }
        let codes = codeBytes.map { Int8(bitPattern: $0) }
        self.init(dimensions: dimensions, codes: codes, scales: scales, strongWins: counts[0], weakWins: counts[1], ties: counts[2])
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(dimensions, forKey: .dimensions)
        try container.encode(Data(codes.map { UInt8(bitPattern: $0) }).base64EncodedString(), forKey: .codes)
        var scaleBytes: [UInt8] = []
        scaleBytes.reserveCapacity(4 * scales.count)
        for scale in scales {
            let bits = scale.bitPattern
            scaleBytes.append(contentsOf: [UInt8(truncatingIfNeeded: bits), UInt8(truncatingIfNeeded: bits >> 8), UInt8(truncatingIfNeeded: bits >> 16), UInt8(truncatingIfNeeded: bits >> 24)])
        }
        try container.encode(Data(scaleBytes).base64EncodedString(), forKey: .scales)
        try container.encode(strongWins, forKey: .strongWins)
        try container.encode(weakWins, forKey: .weakWins)
        try container.encode(ties, forKey: .ties)
    }

    private static func base64(_ key: CodingKeys, in container: KeyedDecodingContainer<CodingKeys>) throws -> [UInt8] {
        guard let data = Data(base64Encoded: try container.decode(String.self, forKey: key)) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "is not valid base64")
        }
        return Array(data)
    }
}
