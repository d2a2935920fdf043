import CTurnoutKernels

/// Scratch memory for one forward pass, kept between calls so steady-state encoding allocates
/// nothing (fresh multi-megabyte buffers would cost a page fault per 4 KiB on every call).
///
/// Activations of all sequences are stacked row by row (tokens x width), so each buffer's
/// size is the batch's total token count times a fixed width.
final class EncoderWorkspace: @unchecked Sendable {
    // @unchecked Sendable: a workspace is checked out of the encoder's pool under its lock and
    // used by exactly one `encode` call at a time. Within that call, attention workers only
    // read `queryKeyValue`, write disjoint parts of `context` and use their own score rows.
    private(set) var tokenCapacity = 0
    /// [tokens, H]: the hidden states, updated in place layer by layer.
    private(set) var hidden: UnsafeMutablePointer<Float>
    /// [tokens, 3H]: query, key and value projections side by side.
    private(set) var queryKeyValue: UnsafeMutablePointer<Float>
    /// [tokens, H]: attention output (all heads) before the output projection.
    private(set) var context: UnsafeMutablePointer<Float>
    /// [tokens, H]: a projection's output before the residual LayerNorm.
    private(set) var projected: UnsafeMutablePointer<Float>
    /// [tokens, I]: the feed-forward intermediate activations.
    private(set) var intermediate: UnsafeMutablePointer<Float>
    /// [tokens rounded up to 4, codeStride]: a projection's input rows quantized for the int8
    /// path (code + 128), and each row's scale. The int8 kernel reads whole tiles of 4 rows.
    private(set) var codes: UnsafeMutablePointer<UInt8>
    private(set) var rowScales: UnsafeMutablePointer<Float>
    /// Bytes per quantized row: the widest projection input, padded to the kernel's depth groups.
    let codeStride: Int
    /// Per row: how many values lie beyond its clipping threshold, and (in `outlierLimit` slots
    /// per row) their channels and fp32 residuals.
    private(set) var outlierCounts: UnsafeMutablePointer<UInt32>
    private(set) var outlierChannels: UnsafeMutablePointer<UInt32>
    private(set) var outlierResiduals: UnsafeMutablePointer<Float>
    /// Most outliers kept per row.
    static let outlierLimit = 16
    /// The rows of each sequence's first and last token ([CLS] and [SEP]), which the int8 path
    /// multiplies more finely.
    let special: SpecialRows
    /// Most query rows an attention block holds.
    static let attentionBlockRows = 64

    /// [workers, attentionBlockRows, sequence]: one block of attention scores per attention worker.
    private var scores: UnsafeMutablePointer<Float>
    private var scoreCapacity = 0

    let configuration: MiniLMConfiguration
    /// Threads that compute attention at once, each with its own score rows.
    let attentionWorkers: Int

    init(configuration: MiniLMConfiguration, attentionWorkers: Int) {
        self.configuration = configuration
        self.attentionWorkers = attentionWorkers
        hidden = .allocate(capacity: 1)
        queryKeyValue = .allocate(capacity: 1)
        context = .allocate(capacity: 1)
        projected = .allocate(capacity: 1)
        intermediate = .allocate(capacity: 1)
        scores = .allocate(capacity: 1)
        codeStride = turnout_qgemm_padded_depth(max(configuration.hiddenSize, configuration.intermediateSize))
        codes = .allocate(capacity: 1)
        rowScales = .allocate(capacity: 1)
        outlierCounts = .allocate(capacity: 1)
        outlierChannels = .allocate(capacity: 1)
        outlierResiduals = .allocate(capacity: 1)
        special = SpecialRows(configuration: configuration, codeStride: codeStride)
    }

    deinit {
        for buffer in [hidden, queryKeyValue, context, projected, intermediate, scores, rowScales, outlierResiduals] {
            buffer.deallocate()
        }
        codes.deallocate()
        outlierCounts.deallocate()
        outlierChannels.deallocate()
    }

    /// Bytes held, for callers deciding whether to keep a workspace around.
    var byteCount: Int {
        let perToken = configuration.hiddenSize * 6 + configuration.intermediateSize
        return (tokenCapacity * (perToken + 2 + 2 * Self.outlierLimit) + attentionWorkers * scoreCapacity) * MemoryLayout<Float>.stride + tokenCapacity * codeStride
    }

    /// Grows the buffers to hold `tokens` stacked tokens and sequences of up to `longestSequence`.
    /// Capacity is rounded up so that slowly growing batches do not reallocate every call.
    func reserve(tokens: Int, longestSequence: Int) {
        if tokens > tokenCapacity {
            let capacity = (tokens + 255) & ~255
            let hiddenSize = configuration.hiddenSize
            hidden.replace(count: capacity * hiddenSize)
            queryKeyValue.replace(count: capacity * 3 * hiddenSize)
            context.replace(count: capacity * hiddenSize)
            projected.replace(count: capacity * hiddenSize)
            intermediate.replace(count: capacity * configuration.intermediateSize)
            rowScales.replace(count: capacity)
            outlierResiduals.replace(count: capacity * Self.outlierLimit)
            outlierCounts.replace(count: capacity)
            outlierChannels.replace(count: capacity * Self.outlierLimit)
            // Filled with code 0 (128) once: rows past a batch's last token are read by the int8 kernel's last tile.
            codes.replace(count: capacity * codeStride, filledWith: 128)
            tokenCapacity = capacity
        }
        let scoreCount = Self.attentionBlockRows * longestSequence
        if scoreCount > scoreCapacity {
            scores.replace(count: attentionWorkers * scoreCount)
            scoreCapacity = scoreCount
        }
    }

    /// The outlier buffers as the int8 kernels take them.
    var outliers: turnout_qgemm_outliers {
        turnout_qgemm_outliers(counts: outlierCounts, channels: outlierChannels, residuals: outlierResiduals, limit: Self.outlierLimit)
    }

    /// Score rows of attention worker `worker`: room for `attentionBlockRows` rows of the longest sequence.
    func scores(worker: Int) -> UnsafeMutablePointer<Float> {
        scores + worker * scoreCapacity
    }
}
