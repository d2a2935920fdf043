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
    }

    deinit {
        for buffer in [hidden, queryKeyValue, context, projected, intermediate, scores] {
            buffer.deallocate()
        }
    }

    /// Bytes held, for callers deciding whether to keep a workspace around.
    var byteCount: Int {
        let perToken = configuration.hiddenSize * 6 + configuration.intermediateSize
        return (tokenCapacity * perToken + attentionWorkers * scoreCapacity) * MemoryLayout<Float>.stride
    }

    /// Grows the buffers to hold `tokens` stacked tokens and sequences of up to `longestSequence`.
    /// Capacity is rounded up so that slowly growing batches do not reallocate every call.
    func reserve(tokens: Int, longestSequence: Int) {
        if tokens > tokenCapacity {
            let capacity = (tokens + 255) & ~255
            let hiddenSize = configuration.hiddenSize
            replace(&hidden, count: capacity * hiddenSize)
            replace(&queryKeyValue, count: capacity * 3 * hiddenSize)
            replace(&context, count: capacity * hiddenSize)
            replace(&projected, count: capacity * hiddenSize)
            replace(&intermediate, count: capacity * configuration.intermediateSize)
            tokenCapacity = capacity
        }
        let scoreCount = Self.attentionBlockRows * longestSequence
        if scoreCount > scoreCapacity {
            replace(&scores, count: attentionWorkers * scoreCount)
            scoreCapacity = scoreCount
        }
    }

    /// Score rows of attention worker `worker`: room for `attentionBlockRows` rows of the longest sequence.
    func scores(worker: Int) -> UnsafeMutablePointer<Float> {
        scores + worker * scoreCapacity
    }

    private func replace(_ buffer: inout UnsafeMutablePointer<Float>, count: Int) {
        buffer.deallocate()
        buffer = .allocate(capacity: count)
    }
}
