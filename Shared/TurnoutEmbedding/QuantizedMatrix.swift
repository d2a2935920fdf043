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
    /// Which finer terms the [CLS] and [SEP] rows get in this product (`SpecialRows`).
    let refinements: SpecialRows.Terms
    /// What the codes leave over (`turnout_qgemm_weight_remainder`), as codes of its own, for
    /// the [CLS] and [SEP] rows; nil unless `refinements` has `.weightRemainder`.
    let remainder: Remainder?
    /// The weight in bf16 pairs (`turnout_bf16_pack`), for activation outliers: one channel's
    /// weights for 16 columns in one load.
    let wide: UnsafeMutablePointer<UInt16>

    /// Quantizes `weight`, `rows x columns` floats (output features x input features).
    init(_ weight: UnsafePointer<Float>, rows: Int, columns: Int, refinements: SpecialRows.Terms) {
        precondition(rows % 16 == 0, "the int8 kernel needs output features in multiples of 16")
        self.rows = rows
        self.columns = columns
        self.refinements = refinements
        codes = .allocate(capacity: turnout_qgemm_packed_bytes(rows, columns))
        scales = .allocate(capacity: turnout_qgemm_padded_columns(rows))
        compensation = .allocate(capacity: turnout_qgemm_padded_columns(rows))
        turnout_qgemm_pack(weight, rows, columns, codes, scales, compensation)
        remainder = refinements.contains(.weightRemainder) ? Remainder(of: weight, rows: rows, columns: columns, codes: codes, scales: scales) : nil
        wide = .allocate(capacity: turnout_bf16_packed_count(rows, columns))
        turnout_bf16_pack(weight, rows, columns, wide)
    }

    deinit {
        codes.deallocate()
        scales.deallocate()
        compensation.deallocate()
        wide.deallocate()
    }

    /// A weight's remainder, `w - scale * code`, quantized and packed as the weight is.
    final class Remainder: @unchecked Sendable {
        // @unchecked Sendable: filled in init, read-only afterwards.
        let codes: UnsafeMutablePointer<Int8>
        let scales: UnsafeMutablePointer<Float>
        let compensation: UnsafeMutablePointer<Int32>

        init(of weight: UnsafePointer<Float>, rows: Int, columns: Int, codes weightCodes: UnsafePointer<Int8>, scales weightScales: UnsafePointer<Float>) {
            let remainder = UnsafeMutablePointer<Float>.allocate(capacity: rows * columns)
            defer { remainder.deallocate() }
            turnout_qgemm_weight_remainder(weight, rows, columns, weightCodes, weightScales, remainder)
            codes = .allocate(capacity: turnout_qgemm_packed_bytes(rows, columns))
            scales = .allocate(capacity: turnout_qgemm_padded_columns(rows))
            compensation = .allocate(capacity: turnout_qgemm_padded_columns(rows))
            turnout_qgemm_pack(remainder, rows, columns, codes, scales, compensation)
        }

        deinit {
            codes.deallocate()
            scales.deallocate()
            compensation.deallocate()
        }
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

    /// - Parameter index: the layer's place in the stack, which decides its [CLS] and [SEP]
    ///   rows' finer terms (`SpecialRows.Terms.forProjection`).
    init(_ layer: MiniLMWeights.Layer, index: Int, configuration: MiniLMConfiguration) {
        let hidden = configuration.hiddenSize, inner = configuration.intermediateSize
        func terms(_ projection: SpecialRows.Projection) -> SpecialRows.Terms {
            .forProjection(projection, layer: index, of: configuration.layerCount)
        }
        queryKeyValue = QuantizedMatrix(layer.queryKeyValueWeight, rows: 3 * hidden, columns: hidden, refinements: terms(.queryKeyValue))
        attentionOutput = QuantizedMatrix(layer.attentionOutputWeight, rows: hidden, columns: hidden, refinements: terms(.attentionOutput))
        intermediate = QuantizedMatrix(layer.intermediateWeight, rows: inner, columns: hidden, refinements: terms(.intermediate))
        output = QuantizedMatrix(layer.outputWeight, rows: hidden, columns: inner, refinements: terms(.output))
    }
}
