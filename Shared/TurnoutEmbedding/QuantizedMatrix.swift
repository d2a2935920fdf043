import CTurnoutKernels

/// A PyTorch Linear weight ([out, in]) quantized per output column for the int8 path, in the
/// blocked layout the VNNI kernel loads (`turnout_qgemm_pack`).
final class QuantizedMatrix: @unchecked Sendable {
    // @unchecked Sendable: filled in init, read-only afterwards.
    let rows: Int
    let columns: Int
    let codes: UnsafeMutablePointer<Int8>
    let scales: UnsafeMutablePointer<Float>
    let compensation: UnsafeMutablePointer<Int32>
    /// What the codes leave over (`turnout_qgemm_weight_remainder`), as codes of its own, for
    /// the [CLS] and [SEP] rows (`SpecialRows`).
    let remainderCodes: UnsafeMutablePointer<Int8>
    let remainderScales: UnsafeMutablePointer<Float>
    let remainderCompensation: UnsafeMutablePointer<Int32>
    /// The weight in bf16 pairs (`turnout_bf16_pack`), for activation outliers: one channel's
    /// weights for 16 columns in one load.
    let wide: UnsafeMutablePointer<UInt16>

    /// Quantizes `weight`, `rows x columns` floats (output features x input features).
    init(_ weight: UnsafePointer<Float>, rows: Int, columns: Int) {
        precondition(rows % 16 == 0, "the int8 kernel needs output features in multiples of 16")
        self.rows = rows
        self.columns = columns
        codes = .allocate(capacity: turnout_qgemm_packed_bytes(rows, columns))
        scales = .allocate(capacity: turnout_qgemm_padded_columns(rows))
        compensation = .allocate(capacity: turnout_qgemm_padded_columns(rows))
        turnout_qgemm_pack(weight, rows, columns, codes, scales, compensation)
        let remainder = UnsafeMutablePointer<Float>.allocate(capacity: rows * columns)
        defer { remainder.deallocate() }
        turnout_qgemm_weight_remainder(weight, rows, columns, codes, scales, remainder)
        remainderCodes = .allocate(capacity: turnout_qgemm_packed_bytes(rows, columns))
        remainderScales = .allocate(capacity: turnout_qgemm_padded_columns(rows))
        remainderCompensation = .allocate(capacity: turnout_qgemm_padded_columns(rows))
        turnout_qgemm_pack(remainder, rows, columns, remainderCodes, remainderScales, remainderCompensation)
        wide = .allocate(capacity: turnout_bf16_packed_count(rows, columns))
        turnout_bf16_pack(weight, rows, columns, wide)
    }

    deinit {
        codes.deallocate()
        scales.deallocate()
        compensation.deallocate()
        remainderCodes.deallocate()
        remainderScales.deallocate()
        remainderCompensation.deallocate()
        wide.deallocate()
    }

    /// Blocks of 16 output features: the unit work is split in between threads.
    var blocks: Int { rows / 16 }
}

/// One layer's four projections in int8.
struct QuantizedLayer: Sendable {
    let queryKeyValue: QuantizedMatrix
    let attentionOutput: QuantizedMatrix
    let intermediate: QuantizedMatrix
    let output: QuantizedMatrix

    init(_ layer: MiniLMWeights.Layer, configuration: MiniLMConfiguration) {
        let hidden = configuration.hiddenSize, inner = configuration.intermediateSize
        queryKeyValue = QuantizedMatrix(layer.queryKeyValueWeight, rows: 3 * hidden, columns: hidden)
        attentionOutput = QuantizedMatrix(layer.attentionOutputWeight, rows: hidden, columns: hidden)
        intermediate = QuantizedMatrix(layer.intermediateWeight, rows: inner, columns: hidden)
        output = QuantizedMatrix(layer.outputWeight, rows: hidden, columns: inner)
    }
}
