import COpenBLAS
import CTurnoutKernels
import Dispatch
import Foundation
import Synchronization

/// The BERT encoder of all-MiniLM-L6-v2 on OpenBLAS: token ids in, unit-length sentence
/// vectors (mean pooling over the tokens, then L2 normalization) out.
///
/// Sequences of a batch are packed back to back, tokens x width, with no padding: every
/// linear projection is then one `cblas_sgemm` over all tokens of all sequences, and only
/// attention looks at sequence boundaries (one score matrix per sequence and head). Packing
/// is exactly equivalent to padding with an attention mask, since padded positions would get
/// zero weight and be left out of the mean anyway, but it spends no work on padding, so
/// batching sequences of different lengths costs nothing extra.
///
/// Threads: OpenBLAS spreads each projection over all cores; attention, many small products
/// OpenBLAS would run on one thread, is split over one worker per core here. OpenBLAS's idle
/// workers spin for a while after each product and compete with those attention workers;
/// starting the process with `OPENBLAS_THREAD_TIMEOUT=4` makes them sleep sooner (it is read
/// when OpenBLAS loads). On the 2-core development machine that made batches of 64-token
/// texts 8% and of 256-token texts 17% faster, but single queries about 0.5 ms slower.
///
/// Precision: the projections run in fp32 on OpenBLAS or in int8 on AVX-512 VNNI
/// (`EncoderPrecision`); in int8 every product is split by output columns over one worker per
/// core here (`WorkerTeam`), so OpenBLAS's own threads never wake (attention's small products
/// run on the calling thread either way).
///
/// Thread safety: weights are immutable and each call takes a private workspace from a small
/// pool, so one instance may be used from several threads at once; concurrent calls share
/// the cores out between them (`passesInFlight`).
public final class MiniLMEncoder: Sendable {
    public let configuration: MiniLMConfiguration
    /// Substituted for ids outside the vocabulary, so bad input cannot read outside the table.
    public let unknownTokenID: Int32
    /// What the projections compute in.
    public let precision: EncoderPrecision
    private let weights: MiniLMWeights
    /// The projections' weights in int8, one entry per layer; empty in fp32.
    private let quantizedLayers: [QuantizedLayer]
    private let idleWorkspaces = Mutex<[EncoderWorkspace]>([])
    /// `encode` calls running now. The cores are shared out between them: two passes on two
    /// cores each run on one, rather than each handing half of every product to a second
    /// thread and waiting for it, which under load costs hand-offs and buys nothing.
    private let passesInFlight: PassesInFlight
    /// The other cores' threads for a pass that has the cores to itself; with the caller's,
    /// one thread per core (`team.threads`), which is also how many compute attention at once.
    private let team: WorkerTeam

    /// Idle workspaces kept for reuse; more concurrent callers allocate their own.
    private static let pooledWorkspaceLimit = 2
    /// Workspaces bigger than this (from unusually large batches) are freed after use.
    private static let pooledWorkspaceBytes = 256 << 20

    /// Loads the weights from `file`, checking each tensor's shape against `configuration`.
    /// - Parameter unknownTokenID: the vocabulary's `[UNK]` id (100 in BERT's uncased vocabulary).
    /// - Throws: `EmbeddingModelError.invalidConfiguration` for a configuration the kernels cannot
    ///   run, `.invalidWeights` for a missing, misshapen or unreadable tensor.
    /// - Parameter precision: the projections' arithmetic; int8 quantizes the weights here, once.
    public init(file: SafetensorsFile, configuration: MiniLMConfiguration = .init(), unknownTokenID: Int32 = 100,
                precision: EncoderPrecision = .float32) throws(EmbeddingModelError) {
        if let problem = configuration.problem {
            throw .invalidConfiguration(path: file.path, reason: problem)
        }
        guard unknownTokenID >= 0, Int(unknownTokenID) < configuration.vocabularySize else {
            throw .invalidConfiguration(path: file.path, reason: "unknown-token id \(unknownTokenID) is outside the \(configuration.vocabularySize)-token vocabulary")
        }
        self.configuration = configuration
        self.unknownTokenID = unknownTokenID
        self.precision = precision
        let cores = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 16))
        let inFlight = PassesInFlight()
        passesInFlight = inFlight
        // In fp32 the team only runs attention, between products on OpenBLAS's own threads,
        // which would then share a core with a spinning helper: there it parks at once.
        let spins = precision == .int8
        team = WorkerTeam(helpers: cores - 1, spinWhile: { spins && inFlight.count.load(ordering: .relaxed) <= 1 })
        let weights: MiniLMWeights
        do {
            weights = try MiniLMWeights(file: file, configuration: configuration)
        } catch {
            throw .invalidWeights(error)
        }
        self.weights = weights
        quantizedLayers = precision == .int8 ? weights.layers.enumerated().map { QuantizedLayer($1, index: $0, configuration: configuration) } : []
    }

    /// Length of each output vector (the hidden size, 384).
    public var dimensions: Int { configuration.hiddenSize }

    /// Unit-length embeddings for token sequences (`[CLS] … [SEP]`), in order.
    ///
    /// Sequences may differ in length. Ids outside the vocabulary count as `unknownTokenID`;
    /// a sequence longer than `maxPositions` keeps its first `maxPositions - 1` ids and its
    /// last one (its `[SEP]`); an empty sequence yields a zero vector. Blocks while it computes.
    public func encode(_ batch: [[Int32]]) -> [[Float]] {
        let sequences = batch.map { Self.clipped($0, limit: configuration.maxPositions) }
        let total = sequences.reduce(0) { $0 + $1.count }
        guard total > 0 else {
            return sequences.map { _ in [Float](repeating: 0, count: dimensions) }
        }
        passesInFlight.count.add(1, ordering: .relaxed)
        defer { passesInFlight.count.subtract(1, ordering: .relaxed) }
        let workspace = idleWorkspaces.withLock { $0.popLast() } ?? EncoderWorkspace(configuration: configuration, attentionWorkers: team.threads)
        defer {
            if workspace.byteCount <= Self.pooledWorkspaceBytes {
                idleWorkspaces.withLock { pool in
                    if pool.count < Self.pooledWorkspaceLimit { pool.append(workspace) }
                }
            }
        }
        workspace.reserve(tokens: total, longestSequence: sequences.lazy.map(\.count).max() ?? 0)
        var offsets: [Int] = []
        offsets.reserveCapacity(sequences.count)
        var offset = 0
        for sequence in sequences {
            offsets.append(offset)
            offset += sequence.count
        }
        embed(sequences, offsets: offsets, into: workspace)
        let lengths = sequences.map(\.count)
        if !quantizedLayers.isEmpty { workspace.special.mark(lengths: lengths, offsets: offsets) }
        for (index, layer) in weights.layers.enumerated() {
            run(layer, quantized: quantizedLayers.isEmpty ? nil : quantizedLayers[index], lengths: lengths, offsets: offsets, tokens: total, workspace: workspace)
        }
        return zip(sequences, offsets).map { sequence, start in
            EncoderKernels.meanPoolNormalized(workspace.hidden + start * dimensions, count: sequence.count, width: dimensions)
        }
    }

    /// `ids` cut to `limit` by dropping ids just before the last one, so `[SEP]` stays at the end.
    static func clipped(_ ids: [Int32], limit: Int) -> [Int32] {
        guard ids.count > limit, let last = ids.last else { return ids }
        return Array(ids.prefix(max(limit - 1, 0))) + (limit > 0 ? [last] : [])
    }

    /// Word + position + token-type-0 embeddings, then LayerNorm, into `workspace.hidden`.
    private func embed(_ sequences: [[Int32]], offsets: [Int], into workspace: EncoderWorkspace) {
        let width = dimensions
        let vocabulary = Int32(configuration.vocabularySize)
        for (sequence, start) in zip(sequences, offsets) {
            for (position, raw) in sequence.enumerated() {
                let id = raw >= 0 && raw < vocabulary ? raw : unknownTokenID
                let word = weights.wordEmbeddings + Int(id) * width
                let positional = weights.positionEmbeddings + position * width
                let row = workspace.hidden + (start + position) * width
                for channel in stride(from: 0, to: width, by: EncoderKernels.width) {
                    EncoderKernels.store(EncoderKernels.load(word + channel) + EncoderKernels.load(positional + channel), row + channel)
                }
            }
        }
        let total = (offsets.last ?? 0) + (sequences.last?.count ?? 0)
        EncoderKernels.layerNorm(
            workspace.hidden, adding: nil, count: total, width: width,
            scale: weights.embeddingNormScale, bias: weights.embeddingNormBias, epsilon: configuration.layerNormEpsilon)
    }

    /// One post-LN transformer layer over all stacked tokens, updating `workspace.hidden`.
    /// Each projection adds its bias as it writes its output (`project`); the residual is
    /// added inside the LayerNorm pass.
    private func run(_ layer: MiniLMWeights.Layer, quantized: QuantizedLayer?, lengths: [Int], offsets: [Int], tokens: Int, workspace: EncoderWorkspace) {
        let hidden = configuration.hiddenSize, inner = configuration.intermediateSize
        let epsilon = configuration.layerNormEpsilon

        // Self-attention: fused Q|K|V projection, attention per sequence and head, output projection.
        project(tokens, workspace.hidden, hidden, layer.queryKeyValueWeight, layer.queryKeyValueBias, quantized?.queryKeyValue, outputs: 3 * hidden,
                into: workspace.queryKeyValue, workspace)
        attend(lengths: lengths, offsets: offsets, workspace: workspace)
        project(tokens, workspace.context, hidden, layer.attentionOutputWeight, layer.attentionOutputBias, quantized?.attentionOutput, outputs: hidden,
                into: workspace.projected, workspace)
        EncoderKernels.layerNorm(
            workspace.hidden, adding: workspace.projected, count: tokens, width: hidden,
            scale: layer.attentionNormScale, bias: layer.attentionNormBias, epsilon: epsilon)

        // Feed-forward: expand, exact GELU, contract, residual LayerNorm.
        project(tokens, workspace.hidden, hidden, layer.intermediateWeight, layer.intermediateBias, quantized?.intermediate, outputs: inner,
                into: workspace.intermediate, workspace)
        EncoderKernels.gelu(workspace.intermediate, count: tokens * inner)
        project(tokens, workspace.intermediate, inner, layer.outputWeight, layer.outputBias, quantized?.output, outputs: hidden,
                into: workspace.projected, workspace)
        EncoderKernels.layerNorm(
            workspace.hidden, adding: workspace.projected, count: tokens, width: hidden,
            scale: layer.outputNormScale, bias: layer.outputNormBias, epsilon: epsilon)
    }

    /// `output[tokens, outputs] = bias + input[tokens, inputs] * weight^T`, in fp32 on OpenBLAS
    /// (the bias copied into the rows first, sgemm adding to them) or, given the quantized
    /// weight, in int8 (the kernel adds the bias as it stores): the input's rows are quantized
    /// into the workspace, then the output's column blocks are dealt in contiguous runs to the
    /// pass's share of the cores.
    private func project(
        _ tokens: Int, _ input: UnsafePointer<Float>, _ inputs: Int, _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>,
        _ quantized: QuantizedMatrix?, outputs: Int, into output: UnsafeMutablePointer<Float>, _ workspace: EncoderWorkspace
    ) {
        guard let quantized else {
            EncoderKernels.broadcastRows(bias, into: output, rows: tokens, width: outputs)
            Self.multiply(tokens, outputs, inputs, input, inputs, transposingB: weight, inputs, into: output, outputs)
            return
        }
        let codeStride = workspace.codeStride
        turnout_qgemm_quantize_rows(input, tokens, inputs, inputs, Self.clip, EncoderWorkspace.outlierLimit,
                                    workspace.codes, codeStride, workspace.rowScales, workspace.outliers)
        // [CLS] and [SEP] rows: their finer terms are added after the main product, by the same worker for the same columns.
        let special = workspace.special
        special.prepare(input: input, inputs: inputs, for: quantized, workspace)
        let blocks = quantized.blocks
        // Runs of 4 blocks (64 columns), the kernel's widest tile; tiny products stay on this thread.
        let quads = (blocks + 3) / 4
        let workers = tokens * outputs * inputs < Self.parallelProductSize ? 1 : min(coresPerPass, quads)
        // Workers write disjoint column ranges of `output` and only read the rest (and the bias).
        nonisolated(unsafe) let output = output, bias = bias
        let columns = { @Sendable (worker: Int) in
            let first = min(blocks, quads * worker / workers * 4), end = min(blocks, quads * (worker + 1) / workers * 4)
            turnout_qgemm(tokens, outputs, inputs, workspace.codes, codeStride, workspace.rowScales, workspace.outliers,
                          quantized.codes, quantized.scales, quantized.compensation, quantized.wide, bias, output, outputs, first, end)
            special.addProducts(quantized, inputs: inputs, outputs: outputs, into: output, blocks: first, end)
        }
        if workers == 1 {
            columns(0)
        } else {
            team.perform(iterations: workers, columns)
        }
    }

    /// The cores one pass may use now: its share of them among the passes in flight.
    private var coresPerPass: Int {
        max(1, team.threads / max(1, passesInFlight.count.load(ordering: .relaxed)))
    }

    /// Activation values beyond this many root-mean-squares of their row go to the fp32 outlier
    /// path (on the bench's texts: parity gap 5e-4 at 4, 8e-4 without the split).
    static let clip: Float = 4

    /// Multiply-adds under which an int8 product runs on the calling thread (about 20 µs of work):
    /// handing half of it to another core would cost more than it saves.
    private static let parallelProductSize = 4 << 20

    /// Scaled dot-product attention of every head of every sequence, from
    /// `workspace.queryKeyValue` into `workspace.context` (heads side by side, as BERT concatenates them).
    ///
    /// The work is cut into blocks of query rows of one head of one sequence, each small
    /// enough that OpenBLAS runs its two products on the calling thread; the blocks are dealt
    /// round-robin to one worker per core. Blocks write disjoint parts of `context` and each
    /// worker has its own score rows, so workers share nothing mutable.
    private func attend(lengths: [Int], offsets: [Int], workspace: EncoderWorkspace) {
        let headSize = configuration.headSize, heads = configuration.headCount
        let blocks = zip(lengths, offsets).flatMap { length, start in
            let rows = Self.attentionRows(length: length, headSize: headSize)
            return (0..<heads).flatMap { head in
                stride(from: 0, to: length, by: rows).map { first in
                    AttentionBlock(start: start, length: length, head: head, firstRow: first, rows: min(rows, length - first))
                }
            }
        }
        let workers = min(coresPerPass, blocks.count)
        if workers <= 1 {
            for block in blocks { attend(block, scores: workspace.scores(worker: 0), workspace: workspace) }
            return
        }
        team.perform(iterations: workers) { worker in
            let scores = workspace.scores(worker: worker)
            for index in stride(from: worker, to: blocks.count, by: workers) {
                self.attend(blocks[index], scores: scores, workspace: workspace)
            }
        }
    }

    /// Query rows of one head of one sequence, attended in one go.
    private struct AttentionBlock {
        let start: Int
        let length: Int
        let head: Int
        let firstRow: Int
        let rows: Int
    }

    /// OpenBLAS runs a product on the calling thread when m*n*k is at most 4 * 65536
    /// (GEMM_MULTITHREAD_THRESHOLD * SMP_THRESHOLD_MIN); blocks are sized to stay under it, so
    /// attention workers never queue for OpenBLAS's own threads.
    static func attentionRows(length: Int, headSize: Int) -> Int {
        max(1, min(EncoderWorkspace.attentionBlockRows, (4 * 65536) / max(1, length * headSize)))
    }

    /// softmax(scale * Q K^T) V for a block of query rows, into that head's columns of `context`.
    private func attend(_ block: AttentionBlock, scores: UnsafeMutablePointer<Float>, workspace: EncoderWorkspace) {
        let hidden = configuration.hiddenSize, headSize = configuration.headSize
        let stride = 3 * hidden
        let base = UnsafePointer(workspace.queryKeyValue + block.start * stride + block.head * headSize)
        let query = base + block.firstRow * stride
        let key = base + hidden
        let value = base + 2 * hidden
        // scores = scale * Q[rows] K^T, [rows, length]
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasTrans, Int32(block.rows), Int32(block.length), Int32(headSize),
            1 / Float(headSize).squareRoot(), query, Int32(stride), key, Int32(stride), 0, scores, Int32(block.length))
        EncoderKernels.softmaxRows(scores, count: block.rows, width: block.length, stride: block.length)
        // context[rows, head] = softmax(scores) V, [rows, headSize]
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(block.rows), Int32(headSize), Int32(block.length),
            1, scores, Int32(block.length), value, Int32(stride), 0,
            workspace.context + (block.start + block.firstRow) * hidden + block.head * headSize, Int32(hidden))
    }

    /// `c[m, n] += a[m, k] * b[n, k]^T` (row-major; `b` is a PyTorch Linear weight, [out, in]).
    private static func multiply(
        _ m: Int, _ n: Int, _ k: Int, _ a: UnsafePointer<Float>, _ lda: Int,
        transposingB b: UnsafePointer<Float>, _ ldb: Int, into c: UnsafeMutablePointer<Float>, _ ldc: Int
    ) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), 1, c, Int32(ldc))
    }
}

/// How many `encode` calls are running, shared with the worker team's spinning rule.
private final class PassesInFlight: Sendable {
    let count = Atomic<Int>(0)
}
