import CTurnoutKernels

/// The [CLS] and [SEP] rows of a pass (each sequence's first and last token), which the int8
/// path multiplies to about 15 bits instead of 8.
///
/// Those tokens carry values 30 times the rest of their rows, and short texts are mostly
/// them: plain int8 costs the empty text a cosine of 3.5e-3 even with exact activations. Each
/// such row goes through the int8 product as every row does; then its remainder (what its
/// codes leave over) goes through the weight's codes, and its codes through the weight's
/// remainder codes (`QuantizedMatrix.remainder`): the same VNNI kernel on up to two more rows
/// per special row, where a bf16 copy of the weights for them streamed twice the bytes per
/// pass. Their few outliers still meet the bf16 weights, as every row's do. Which projections
/// get which term was measured (`Terms.forProjection`).
final class SpecialRows: @unchecked Sendable {
    /// The finer terms of a special row's product.
    struct Terms: OptionSet, Sendable {
        let rawValue: UInt8
        /// The row's remainder times the weight's codes.
        static let rowRemainder = Terms(rawValue: 1)
        /// The row's codes times the weight's remainder codes.
        static let weightRemainder = Terms(rawValue: 2)

        /// Where each term pays, measured on all-MiniLM-L6-v2 as the lowest cosine to fp32
        /// over the 26 reference texts and over 483 benchmark prompts (MMLU, GSM8K, AlpacaEval
        /// and short chat questions), against 0.99936 and 0.99924 with both terms everywhere:
        /// - the row's remainder in every projection but the feed-forward contraction, whose
        ///   input (after GELU) it does not help: 0.99921 and 0.99917;
        /// - the weight's remainder only in the contraction of the first half of the layers,
        ///   where the massive [CLS]/[SEP] activations are written: dropping it in layer 2
        ///   alone costs 0.9985; in any other projection it buys under 5e-5.
        /// That is 8.8 M multiply-adds per special row instead of 21.2 M.
        static func forProjection(_ projection: Projection, layer: Int, of layers: Int) -> Terms {
            switch projection {
            case .queryKeyValue, .attentionOutput, .intermediate: return .rowRemainder
            case .output: return 2 * layer < layers ? .weightRemainder : []
            }
        }
    }

    /// A layer's four int8 products.
    enum Projection: Sendable {
        case queryKeyValue, attentionOutput, intermediate, output
    }

    // @unchecked Sendable: owned by one `EncoderWorkspace`, so used by one pass at a time; the
    // pass's workers write disjoint columns of `products` and only read the rest.
    private(set) var rows: [UInt32] = []
    private var capacity = 0
    /// [2 * capacity + 4, codeStride]: the remainders' codes (rows 0..<count), then the rows'
    /// own codes (count..<2 count), with their scales. The kernel reads whole tiles of 4 rows.
    private var codes: UnsafeMutablePointer<UInt8>
    private var scales: UnsafeMutablePointer<Float>
    /// [capacity, widest input]: the remainders before they are quantized.
    private var remainders: UnsafeMutablePointer<Float>
    /// [2 * capacity, widest output]: remainders x codes, then codes x the weight's remainder.
    /// All zero between passes: `turnout_qgemm_add_rows` zeroes what it adds.
    private var products: UnsafeMutablePointer<Float>
    /// No outliers here (they are in the main product), as the kernel's arguments.
    private var outlierCounts: UnsafeMutablePointer<UInt32>
    private var outlierChannels: UnsafeMutablePointer<UInt32>
    private var outlierResiduals: UnsafeMutablePointer<Float>
    private let codeStride: Int
    private let widestInput: Int
    private let widestOutput: Int

    init(configuration: MiniLMConfiguration, codeStride: Int) {
        self.codeStride = codeStride
        widestInput = max(configuration.hiddenSize, configuration.intermediateSize)
        widestOutput = max(3 * configuration.hiddenSize, configuration.intermediateSize)
        codes = .allocate(capacity: 1)
        scales = .allocate(capacity: 1)
        remainders = .allocate(capacity: 1)
        products = .allocate(capacity: 1)
        outlierCounts = .allocate(capacity: 1)
        outlierChannels = .allocate(capacity: 1)
        outlierResiduals = .allocate(capacity: 1)
    }

    deinit {
        codes.deallocate()
        scales.deallocate()
        remainders.deallocate()
        products.deallocate()
        outlierCounts.deallocate()
        outlierChannels.deallocate()
        outlierResiduals.deallocate()
    }

    /// Records this pass's special rows: the first and last of each sequence.
    func mark(lengths: [Int], offsets: [Int]) {
        rows.removeAll(keepingCapacity: true)
        for (length, start) in zip(lengths, offsets) where length > 0 {
            rows.append(UInt32(start))
            if length > 1 { rows.append(UInt32(start + length - 1)) }
        }
        guard rows.count > capacity else { return }
        capacity = (rows.count + 63) & ~63
        let tiles = 2 * capacity + 4, limit = EncoderWorkspace.outlierLimit
        codes.replace(count: tiles * codeStride, filledWith: 128)
        scales.replace(count: tiles, filledWith: 0)
        remainders.replace(count: capacity * widestInput)
        products.replace(count: 2 * capacity * widestOutput, filledWith: 0)
        outlierCounts.replace(count: tiles, filledWith: 0)
        outlierChannels.replace(count: tiles * limit)
        outlierResiduals.replace(count: tiles * limit)
    }

    /// After the projection's input rows were quantized into `workspace.codes`: what
    /// `quantized`'s terms read (`addProducts`, on the same matrix, next): the special rows' own
    /// codes, and their remainders quantized with no clipping (nothing in them stands out).
    func prepare(input: UnsafePointer<Float>, inputs: Int, for quantized: QuantizedMatrix, _ workspace: EncoderWorkspace) {
        let count = rows.count, terms = quantized.refinements
        guard count > 0 else { return }
        if terms.contains(.weightRemainder) {
            for (slot, row) in rows.enumerated() {
                (codes + (count + slot) * codeStride).update(from: workspace.codes + Int(row) * codeStride, count: codeStride)
                scales[count + slot] = workspace.rowScales[Int(row)]
            }
        }
        guard terms.contains(.rowRemainder) else { return }
        rows.withUnsafeBufferPointer { rows in
            turnout_qgemm_row_remainders(input, inputs, inputs, rows.baseAddress, count, workspace.codes, codeStride, workspace.rowScales,
                                         workspace.outliers, remainders, widestInput)
        }
        turnout_qgemm_quantize_rows(remainders, count, inputs, widestInput, 0, EncoderWorkspace.outlierLimit, codes, codeStride, scales, outliers)
    }

    /// Adds the special rows' finer terms to `output` for column blocks `first..<end`, on the
    /// worker that computed those columns' main product.
    func addProducts(_ quantized: QuantizedMatrix, inputs: Int, outputs: Int, into output: UnsafeMutablePointer<Float>, blocks first: Int, _ end: Int) {
        let count = rows.count
        guard count > 0, first < end, !quantized.refinements.isEmpty else { return }
        // The terms' products go to consecutive parts of `products`, which add_rows sums in.
        var parts = 0
        if quantized.refinements.contains(.rowRemainder) {
            turnout_qgemm(count, outputs, inputs, codes, codeStride, scales, outliers, quantized.codes, quantized.scales, quantized.compensation,
                          quantized.wide, nil, products, outputs, first, end)
            parts += 1
        }
        if let remainder = quantized.remainder {
            turnout_qgemm(count, outputs, inputs, codes + count * codeStride, codeStride, scales + count, outliers, remainder.codes, remainder.scales,
                          remainder.compensation, quantized.wide, nil, products + parts * count * outputs, outputs, first, end)
            parts += 1
        }
        rows.withUnsafeBufferPointer { rows in
            turnout_qgemm_add_rows(products, count, parts, outputs, rows.baseAddress, output, outputs, 16 * first, 16 * end)
        }
    }

    private var outliers: turnout_qgemm_outliers {
        turnout_qgemm_outliers(counts: outlierCounts, channels: outlierChannels, residuals: outlierResiduals, limit: EncoderWorkspace.outlierLimit)
    }
}
