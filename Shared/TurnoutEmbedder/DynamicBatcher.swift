import Dispatch
import Foundation
import Synchronization
import TurnoutWire

/// Merges concurrent embedding work into few, well-filled forward passes.
///
/// One pass over 32 sequences costs far less than 32 passes over one each, so sequences queue
/// and each pass takes as many as fit a budget of padded tokens. The batching is natural: a
/// free worker starts a pass at once, and whatever arrives while the workers are busy shares
/// the next one. A lone request on a quiet service so pays for its own compute and nothing
/// else; under load the batches grow by themselves. `maxWait` can still hold a pass back for
/// company, which only trades latency for slightly fuller passes.
///
/// Several workers (two by default, one per core of the machine this was measured on) run
/// passes at once: a pass has serial stretches (LayerNorm, attention, pooling) that leave a
/// core idle, and a second pass fills it. Sequences are grouped by length so padding stays
/// small, starting from the one that has waited longest so that long prompts are never
/// starved by a stream of short ones. Passes run on dedicated threads: they block for
/// milliseconds and must not occupy Swift's cooperative pool, which serves every other request.
///
/// A sequence whose caller's deadline passes while it waits is dropped with DEADLINE_EXCEEDED
/// instead of computed: under overload the queue would otherwise fill with work nobody is
/// waiting for, and every later request would wait behind it.
public final class DynamicBatcher: Sendable {
    public struct Configuration: Sendable {
        /// How long the first sequence of a batch waits for company; zero starts a pass as soon
        /// as a worker is free.
        public var maxWait: Duration = .zero
        /// Forward passes that may run at once, each on its own thread.
        public var workers = 2
        /// Largest `sequences x longest length` per pass.
        public var tokenBudget = 8192
        public var maxBatchSize = 64

        public init() {}
    }

    /// What one forward pass did, for metrics.
    public struct PassReport: Sendable {
        public let sequences: Int
        public let paddedTokens: Int
        public let realTokens: Int
        public let seconds: Double
        /// How long the pass's earliest sequence waited for it: the queueing a caller pays on top of compute.
        public let waitedSeconds: Double
        /// Sequences still waiting when the pass ended: a backlog that stays above zero means the
        /// embedder is short of cores.
        public let queued: Int
    }

    public typealias Encoder = @Sendable ([[Int32]]) -> [[Float]]

    /// One caller's sequences, answered once all of them have had their pass (or one expired).
    /// Passes on different workers fill in the same request, so its progress sits behind a lock.
    private final class Request: Sendable {
        private struct Progress {
            var vectors: [[Float]]
            var remaining: Int
            /// Set once the caller has been answered: later passes skip its sequences.
            var answered = false
        }

        private let progress: Mutex<Progress>
        private let continuation: CheckedContinuation<Result<[[Float]], RPCError>, Never>

        init(count: Int, continuation: CheckedContinuation<Result<[[Float]], RPCError>, Never>) {
            progress = Mutex(Progress(vectors: Array(repeating: [], count: count), remaining: count))
            self.continuation = continuation
        }

        var isAnswered: Bool { progress.withLock { $0.answered } }

        /// Records sequence `index`'s vector; answers the caller when it was the last one.
        func fill(_ index: Int, with vector: [Float]) {
            let finished = progress.withLock { progress -> [[Float]]? in
                guard !progress.answered else { return nil }
                progress.vectors[index] = vector
                progress.remaining -= 1
                guard progress.remaining == 0 else { return nil }
                progress.answered = true
                return progress.vectors
            }
            if let finished { continuation.resume(returning: .success(finished)) }
        }

        /// Answers the caller with `error` unless it has been answered already.
        func fail(_ error: @autoclosure () -> RPCError) {
            let first = progress.withLock { progress -> Bool in
                defer { progress.answered = true }
                return !progress.answered
            }
            if first { continuation.resume(returning: .failure(error())) }
        }
    }

    private struct Item {
        let tokens: [Int32]
        let request: Request
        let index: Int
        let arrival: UInt64
        /// Uptime nanoseconds after which the caller no longer waits; nil for none.
        let deadline: UInt64?
    }

    private struct State {
        var pending: [Item] = []
        var running = true
    }

    public let configuration: Configuration
    private let encoder: Encoder
    private let onPass: @Sendable (PassReport) -> Void
    private let state = Mutex(State())
    private let signal = DispatchSemaphore(value: 0)
    private let stopped = DispatchSemaphore(value: 0)
    private let workerCount: Int

    public init(configuration: Configuration = Configuration(), encoder: @escaping Encoder, onPass: @escaping @Sendable (PassReport) -> Void = { _ in }) {
        self.configuration = configuration
        self.encoder = encoder
        self.onPass = onPass
        workerCount = max(1, configuration.workers)
        for number in 0..<workerCount {
            let thread = Thread { [self] in
                work()
                stopped.signal()
            }
            thread.name = "embedding-batcher-\(number)"
            thread.stackSize = 4 << 20
            thread.start()
        }
    }

    /// Embeds `sequences` (token ids), sharing forward passes with concurrent callers.
    /// - Parameter deadline: when the caller stops waiting; sequences still queued then are not computed.
    /// - Throws: DEADLINE_EXCEEDED when the deadline passed before every sequence had its pass;
    ///   UNAVAILABLE after `shutdown()`.
    public func embed(_ sequences: [[Int32]], deadline: Deadline? = nil) async throws(RPCError) -> [[Float]] {
        guard !sequences.isEmpty else { return [] }
        let result = await withCheckedContinuation { continuation in
            let request = Request(count: sequences.count, continuation: continuation)
            let now = DispatchTime.now().uptimeNanoseconds
            let accepted = state.withLock { state -> Bool in
                // After shutdown no worker would take them: the caller would wait for ever.
                guard state.running else { return false }
                for (index, tokens) in sequences.enumerated() {
                    state.pending.append(Item(tokens: tokens, request: request, index: index, arrival: now, deadline: deadline?.uptimeNanoseconds))
                }
                return true
            }
            guard accepted else {
                continuation.resume(returning: .failure(RPCError(.unavailable, "the embedding batcher has shut down")))
                return
            }
            signal.signal()
        }
        return try result.get()
    }

    /// Sequences waiting for a forward pass (not those in one): the queue a scrape or a test sees.
    public var queuedSequences: Int { state.withLock { $0.pending.count } }

    /// Finishes queued work, then stops the worker threads.
    public func shutdown() {
        let wasRunning = state.withLock { state -> Bool in
            defer { state.running = false }
            return state.running
        }
        guard wasRunning else { return }
        // One wake-up per worker: each finds the queue stopped and returns without waiting again.
        for _ in 0..<workerCount { signal.signal() }
        for _ in 0..<workerCount { stopped.wait() }
    }

    private func work() {
        let maxWait = configuration.maxWait.nanoseconds
        while true {
            let (batch, expired, keepRunning, waitNanos) = nextBatch(maxWaitNanos: maxWait)
            answerExpired(expired)
            if let batch {
                run(batch)
                continue
            }
            if !keepRunning { return }
            if let waitNanos {
                _ = signal.wait(timeout: .now() + .nanoseconds(Int(waitNanos)))
            } else {
                signal.wait()
            }
        }
    }

    /// The next batch if one is due, and the sequences whose deadline has passed (taken out of
    /// the queue); otherwise how long to wait for more (nil: until signalled).
    private func nextBatch(maxWaitNanos: UInt64) -> (batch: [Item]?, expired: [Item], running: Bool, wait: UInt64?) {
        state.withLock { state in
            let now = DispatchTime.now().uptimeNanoseconds
            func hasExpired(_ item: Item) -> Bool { item.deadline.map { $0 <= now } ?? false }
            var expired: [Item] = []
            if state.pending.contains(where: hasExpired) {
                expired = state.pending.filter(hasExpired)
                state.pending.removeAll(where: hasExpired)
            }
            guard !state.pending.isEmpty else { return (nil, expired, state.running, nil) }
            let oldest = state.pending.min { $0.arrival < $1.arrival }?.arrival ?? now
            let waited = now &- oldest
            let paddedAll = state.pending.count * (state.pending.map(\.tokens.count).max() ?? 0)
            let full = paddedAll >= configuration.tokenBudget || state.pending.count >= configuration.maxBatchSize
            if waited < maxWaitNanos, !full, state.running {
                return (nil, expired, true, maxWaitNanos - waited)
            }
            let chosen = chooseBatch(state.pending)
            var remaining: [Item] = []
            var batch: [Item] = []
            for (position, item) in state.pending.enumerated() {
                if chosen.contains(position) { batch.append(item) } else { remaining.append(item) }
            }
            state.pending = remaining
            return (batch, expired, true, nil)
        }
    }

    /// Positions of a length-homogeneous group around the longest-waiting sequence that fits the budget.
    private func chooseBatch(_ pending: [Item]) -> Set<Int> {
        let order = pending.indices.sorted { pending[$0].tokens.count < pending[$1].tokens.count }
        guard let anchorPosition = order.indices.min(by: { pending[order[$0]].arrival < pending[order[$1]].arrival }) else { return [] }
        var low = anchorPosition
        var high = anchorPosition
        func cost(_ low: Int, _ high: Int) -> Int {
            (high - low + 1) * pending[order[high]].tokens.count
        }
        while high - low + 1 < configuration.maxBatchSize {
            let canGrowDown = low > 0 && cost(low - 1, high) <= configuration.tokenBudget
            let canGrowUp = high + 1 < order.count && cost(low, high + 1) <= configuration.tokenBudget
            if canGrowDown, canGrowUp {
                // Prefer the neighbour whose length is closer to the group's, to keep padding small.
                let downGap = pending[order[low]].tokens.count - pending[order[low - 1]].tokens.count
                let upGap = pending[order[high + 1]].tokens.count - pending[order[high]].tokens.count
                if downGap <= upGap { low -= 1 } else { high += 1 }
            } else if canGrowDown {
                low -= 1
            } else if canGrowUp {
                high += 1
            } else {
                break
            }
        }
        return Set(order[low...high])
    }

    private func run(_ batch: [Item]) {
        // A request answered already (one of its sequences expired) needs no more compute.
        let batch = batch.filter { !$0.request.isAnswered }
        guard !batch.isEmpty else { return }
        let started = DispatchTime.now().uptimeNanoseconds
        let vectors = encoder(batch.map(\.tokens))
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let longest = batch.map(\.tokens.count).max() ?? 0
        let earliest = batch.map(\.arrival).min() ?? started
        onPass(PassReport(sequences: batch.count, paddedTokens: batch.count * longest,
                          realTokens: batch.reduce(0) { $0 + $1.tokens.count }, seconds: seconds,
                          waitedSeconds: Double(started &- min(earliest, started)) / 1e9, queued: queuedSequences))
        for (position, item) in batch.enumerated() {
            // An encoder that returned too few vectors leaves empty ones, which the service rejects as INTERNAL.
            item.request.fill(item.index, with: position < vectors.count ? vectors[position] : [])
        }
    }

    /// Answers each request with an expired sequence once, with DEADLINE_EXCEEDED; its other
    /// sequences are then skipped wherever they are.
    private func answerExpired(_ expired: [Item]) {
        let now = DispatchTime.now().uptimeNanoseconds
        for item in expired {
            let waited = Double(now &- item.arrival) / 1e6
            item.request.fail(RPCError(.deadlineExceeded, String(
                format: "deadline passed after %.1f ms waiting for a forward pass; the embedder is overloaded or the deadline too short", waited)))
        }
    }
}
