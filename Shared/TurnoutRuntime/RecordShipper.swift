import Foundation
import Synchronization
import TurnoutCollectorAPI
import TurnoutTelemetry
import TurnoutTransport
import TurnoutWire

/// How a `RecordShipper` batches, buffers and retries.
public struct ShippingConfiguration: Sendable {
    public var maxBuffered = 100_000
    public var batchSize = 100
    /// A batch also ends before its records' estimated JSON passes this many bytes, well
    /// inside the wire's frame limit: battles and ratings carry prompts.
    public var maxBatchBytes = 1 << 20
    /// How long a partial batch waits before it is sent anyway.
    public var flushInterval: Duration = .milliseconds(500)
    public var maxBackoff: Duration = .seconds(5)

    public init() {}
}

/// Ships records of one kind (routing records, battles, ratings) to the collector in
/// batches, in the background.
///
/// `submit` never waits: the request path must not slow down because the collector is slow
/// or gone. Records wait in a bounded buffer and leave it only once the collector has
/// acknowledged (committed) them; a failed batch is sent again after a backoff, and the
/// collector's idempotency by record id makes the resend harmless. Past the bound, the
/// oldest records are dropped and counted.
///
/// A batch the collector refuses as such (INVALID_ARGUMENT, RESOURCE_EXHAUSTED: resending
/// it cannot help) is sent again one record at a time, so one bad record costs only itself:
/// it is dropped, logged and counted as rejected, and the good ones around it are stored.
public final class RecordShipper<Record: CollectedRecord>: Sendable {
    public typealias Configuration = ShippingConfiguration

    private struct Buffer {
        var records: [Record] = []
        var head = 0
        var count: Int { records.count - head }

        mutating func compact() {
            if head > 4096, head * 2 > records.count {
                records.removeFirst(head)
                head = 0
            }
        }
    }

    public let configuration: Configuration
    private let collector: CollectorClient
    private let logger: Logger
    private let buffer = Mutex(Buffer())
    private let wake = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    private let task = Mutex<Task<Void, Never>?>(nil)
    private let dropped: Counter
    private let rejected: Counter
    private let shipped: Counter
    private let buffered: Gauge
    /// How many times the send loop has waited: at rest, about once per flush interval.
    let passes = Atomic<Int>(0)

    /// - Parameter collector: the collector's client, which the caller owns and shuts down
    ///   after this shipper: one connection carries every kind of record.
    public init(collector: CollectorClient, configuration: Configuration = Configuration(), metrics: MetricsRegistry, logger: Logger) {
        self.configuration = configuration
        self.collector = collector
        self.logger = logger
        let kind = ["kind": Record.kind]
        dropped = metrics.counter("turnout_records_dropped_total", help: "Records dropped because the buffer for the collector was full, by kind.", labels: kind)
        rejected = metrics.counter("turnout_records_rejected_total", help: "Records the collector refused as invalid and so dropped, by kind.", labels: kind)
        shipped = metrics.counter("turnout_records_shipped_total", help: "Records acknowledged by the collector, by kind.", labels: kind)
        buffered = metrics.gauge("turnout_records_buffered", help: "Records waiting for the collector, by kind.", labels: kind)
        task.withLock { $0 = Task { [self] in await run() } }
    }

    /// Queues a record; returns at once.
    public func submit(_ record: Record) {
        let (count, overflow) = buffer.withLock { buffer -> (Int, Int) in
            buffer.records.append(record)
            let overflow = max(0, buffer.count - configuration.maxBuffered)
            buffer.head += overflow
            buffer.compact()
            return (buffer.count, overflow)
        }
        if overflow > 0 { dropped.increment(by: Double(overflow)) }
        buffered.set(Double(count))
        if count >= configuration.batchSize { wake.continuation.yield() }
    }

    public var pendingCount: Int { buffer.withLock { $0.count } }

    /// Tries to send everything buffered within `timeout`, then stops.
    public func shutdown(timeout: Duration = .seconds(5)) async {
        let deadline = ContinuousClock.now + timeout
        while pendingCount > 0, ContinuousClock.now < deadline {
            wake.continuation.yield()
            try? await Task.sleep(for: .milliseconds(20))
        }
        if pendingCount > 0 {
            logger.warning("stopping with records not delivered", ["kind": .string(Record.kind), "records": .int(pendingCount)])
        }
        task.withLock { $0?.cancel() }
        wake.continuation.finish()
    }

    private func run() async {
        var backoff = Duration.milliseconds(100)
        var iterator = wake.stream.makeAsyncIterator()
        // After a refused batch, how many records at the head still go one at a time.
        var singly = 0
        while !Task.isCancelled {
            let waiting = pendingCount
            if waiting < configuration.batchSize, singly == 0 {
                // A partial batch waits for company, at most the flush interval.
                _ = await next(&iterator, within: configuration.flushInterval)
                if waiting == 0 { continue }
            }
            let batch = nextBatch(limit: singly > 0 ? 1 : configuration.batchSize)
            if batch.isEmpty { continue }
            do throws(RPCError) {
                try await Record.store(batch, in: collector)
                removeFromHead(batch)
                shipped.increment(by: Double(batch.count))
                singly = max(0, singly - batch.count)
                backoff = .milliseconds(100)
            } catch where Self.isRefusal(error) {
                if batch.count > 1 {
                    logger.warning("the collector refused a batch; sending it one record at a time", ["kind": .string(Record.kind), "records": .int(batch.count), "error": .string(error.description)])
                    singly = batch.count
                } else {
                    logger.error("the collector refused a record; dropped", ["kind": .string(Record.kind), "id": .string(batch[0].id), "error": .string(error.description)])
                    removeFromHead(batch)
                    rejected.increment()
                    singly = max(0, singly - 1)
                }
            } catch {
                logger.warning("could not ship records; will retry", ["kind": .string(Record.kind), "records": .int(batch.count), "error": .string(error.description), "retry_ms": .int(backoff.milliseconds)])
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, configuration.maxBackoff)
            }
        }
    }

    /// Refusals of the batch itself, which no resend can cure; anything else (the collector
    /// down, slow or failing) is worth a retry.
    static func isRefusal(_ error: RPCError) -> Bool {
        error.code == .invalidArgument || error.code == .resourceExhausted
    }

    /// The head of the buffer, up to `limit` records and the byte bound (always one record).
    private func nextBatch(limit: Int) -> [Record] {
        buffer.withLock { buffer in
            var batch: [Record] = []
            var bytes = 0
            var index = buffer.head
            while index < buffer.records.count, batch.count < limit {
                let record = buffer.records[index]
                bytes += record.estimatedBytes
                if !batch.isEmpty, bytes > configuration.maxBatchBytes { break }
                batch.append(record)
                index += 1
            }
            return batch
        }
    }

    /// Removes what is still at the head: records dropped for overflow meanwhile are not removed twice.
    private func removeFromHead(_ batch: [Record]) {
        let remaining = buffer.withLock { buffer -> Int in
            let sentIDs = Set(batch.map(\.id))
            while buffer.head < buffer.records.count, sentIDs.contains(buffer.records[buffer.head].id) { buffer.head += 1 }
            buffer.compact()
            return buffer.count
        }
        buffered.set(Double(remaining))
    }

    /// Waits for a wake-up, or `timeout`. The timer wakes the loop only when its sleep ran
    /// out: a cancelled timer that woke it anyway would end the next wait at once, whose own
    /// cancelled timer would end the one after, and the loop would spin for ever (it did: an
    /// idle dispatcher burnt most of a core after its first full batch).
    private func next(_ iterator: inout AsyncStream<Void>.Iterator, within timeout: Duration) async -> Bool {
        passes.add(1, ordering: .relaxed)
        let timer = Task { [wake] in
            guard (try? await Task.sleep(for: timeout)) != nil else { return }
            wake.continuation.yield()
        }
        defer { timer.cancel() }
        return await iterator.next() != nil
    }
}
