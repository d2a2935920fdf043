import Foundation
import Synchronization
import TurnoutCollectorAPI
import TurnoutStorage
import TurnoutTelemetry

/// Routing records in SQLite (WAL mode), written in group commits.
///
/// Batches from every connection queue up for one writer thread, which commits all that are
/// waiting in a single transaction and only then acknowledges each. With `synchronous=FULL`
/// an acknowledged record has reached the disk, and one fsync covers many batches, so
/// durability does not cost a sync per batch. `INSERT OR IGNORE` on the record id makes a
/// resent batch harmless.
public final class RecordStore: Sendable {
    public struct Retention: Sendable {
        /// Records older than this are deleted; nil keeps them regardless of age.
        public var maxAge: Duration?
        /// At most this many records are kept (the oldest go first); nil means no cap.
        public var maxRows: Int?

        public init(maxAge: Duration? = .seconds(30 * 86400), maxRows: Int? = 10_000_000) {
            self.maxAge = maxAge
            self.maxRows = maxRows
        }
    }

    private struct Pending {
        let records: [RoutingRecord]
        let done: @Sendable (Result<Int, StorageError>) -> Void
    }

    private struct Queue {
        var pending: [Pending] = []
        var retentionWaiters: [CheckedContinuation<Void, Never>] = []
        var running = true
    }

    public let path: String
    public let retention: Retention
    private let logger: Logger
    private let queue = Mutex(Queue())
    private let signal = DispatchSemaphore(value: 0)
    private let stopped = DispatchSemaphore(value: 0)
    private let writer: Connection
    private let reader: Connection

    /// A connection and its statements, used by one thread at a time (writer thread or readers under `lock`).
    private final class Connection: @unchecked Sendable {
        let database: SQLiteDatabase
        let lock = NSLock()

        init(database: SQLiteDatabase) {
            self.database = database
        }
    }

    static let schema = """
        CREATE TABLE IF NOT EXISTS records (
            id TEXT PRIMARY KEY,
            time_ms INTEGER NOT NULL,
            router TEXT NOT NULL,
            threshold REAL,
            win_rate REAL,
            route TEXT NOT NULL,
            chosen_model TEXT NOT NULL,
            answering_model TEXT NOT NULL,
            fell_back INTEGER NOT NULL,
            default_route INTEGER NOT NULL,
            total_ms REAL NOT NULL,
            cost_usd REAL NOT NULL,
            strong_cost_usd REAL NOT NULL,
            status INTEGER NOT NULL,
            body TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS records_by_time ON records (time_ms);
        """

    public init(path: String, retention: Retention = Retention(), synchronous: String = "FULL", logger: Logger) throws(StorageError) {
        self.path = path
        self.retention = retention
        self.logger = logger
        let database = try SQLiteDatabase.openRecovering(path: path, synchronous: synchronous) { message in
            logger.error("record store was damaged", ["path": .string(path), "detail": .string(message)])
        }
        try database.execute(Self.schema)
        writer = Connection(database: database)
        reader = Connection(database: try SQLiteDatabase(path: path, synchronous: synchronous))
        let thread = Thread { [self] in
            writeLoop()
            stopped.signal()
        }
        thread.name = "record-writer"
        thread.start()
    }

    /// Stores a batch; returns how many records were new once they are committed.
    public func store(_ records: [RoutingRecord]) async throws(StorageError) -> Int {
        guard !records.isEmpty else { return 0 }
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Int, StorageError>, Never>) in
            let accepted = queue.withLock { queue -> Bool in
                guard queue.running else { return false }
                queue.pending.append(Pending(records: records) { continuation.resume(returning: $0) })
                return true
            }
            if accepted {
                signal.signal()
            } else {
                continuation.resume(returning: .failure(StorageError(code: 21, message: "record store is closed", path: path)))
            }
        }
        return try result.get()
    }

    /// Commits what is queued, then stops the writer.
    public func close() {
        let wasRunning = queue.withLock { queue -> Bool in
            defer { queue.running = false }
            return queue.running
        }
        guard wasRunning else { return }
        signal.signal()
        stopped.wait()
    }

    public var count: Int {
        (try? query("SELECT COUNT(*) FROM records") { $0.int64(at: 0) }.first.map(Int.init)) ?? 0
    }

    /// Runs a read-only query on the reader connection.
    public func query<T>(_ sql: String, bind: (SQLiteStatement) -> Void = { _ in }, row: (SQLiteStatement) -> T) throws(StorageError) -> [T] {
        reader.lock.lock()
        defer { reader.lock.unlock() }
        let statement = try reader.database.prepare(sql)
        bind(statement)
        var rows: [T] = []
        while try statement.step() { rows.append(row(statement)) }
        return rows
    }

    // MARK: Writer thread.

    private func writeLoop() {
        var lastRetention = Date.distantPast
        while true {
            signal.wait()
            let (batches, waiters, running) = queue.withLock { queue in
                defer {
                    queue.pending.removeAll()
                    queue.retentionWaiters.removeAll()
                }
                return (queue.pending, queue.retentionWaiters, queue.running)
            }
            if !batches.isEmpty { commit(batches) }
            if !waiters.isEmpty || Date().timeIntervalSince(lastRetention) > 10 {
                applyRetention()
                lastRetention = Date()
                for waiter in waiters { waiter.resume() }
            }
            if !running {
                let leftover = queue.withLock { queue -> [Pending] in
                    defer { queue.pending.removeAll() }
                    return queue.pending
                }
                if !leftover.isEmpty { commit(leftover) }
                return
            }
        }
    }

    private func commit(_ batches: [Pending]) {
        let database = writer.database
        let outcome: Result<[Int], StorageError>
        do throws(StorageError) {
            let insert = try database.prepare("""
                INSERT OR IGNORE INTO records (id, time_ms, router, threshold, win_rate, route, chosen_model, answering_model,
                    fell_back, default_route, total_ms, cost_usd, strong_cost_usd, status, body)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
                """)
            let encoder = JSONEncoder()
            let counts = try database.transaction { () throws(StorageError) -> [Int] in
                var counts: [Int] = []
                for batch in batches {
                    var stored = 0
                    for record in batch.records {
                        insert.bind(record.id, at: 1)
                        insert.bind(record.timeMs, at: 2)
                        insert.bind(record.router, at: 3)
                        if let threshold = record.threshold { insert.bind(threshold, at: 4) } else { insert.bindNull(at: 4) }
                        if let winRate = record.winRate { insert.bind(winRate, at: 5) } else { insert.bindNull(at: 5) }
                        insert.bind(record.route, at: 6)
                        insert.bind(record.chosenModel, at: 7)
                        insert.bind(record.answeringModel, at: 8)
                        insert.bind(Int64(record.fellBack ? 1 : 0), at: 9)
                        insert.bind(Int64(record.defaultRoute ? 1 : 0), at: 10)
                        insert.bind(record.totalMs, at: 11)
                        insert.bind(record.costUSD, at: 12)
                        insert.bind(record.strongCostUSD, at: 13)
                        insert.bind(Int64(record.status), at: 14)
                        let body = (try? encoder.encode(record)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
                        insert.bind(body, at: 15)
                        try insert.run()
                        stored += database.changes
                    }
                    counts.append(stored)
                }
                return counts
            }
            outcome = .success(counts)
        } catch {
            outcome = .failure(error)
        }
        switch outcome {
        case let .success(counts):
            for (batch, stored) in zip(batches, counts) { batch.done(.success(stored)) }
        case let .failure(error):
            logger.error("could not store routing records", ["error": .string(error.description), "batches": .int(batches.count)])
            for batch in batches { batch.done(.failure(error)) }
        }
    }

    private func applyRetention() {
        do throws(StorageError) {
            if let maxAge = retention.maxAge {
                let cutoff = Int64(Date().timeIntervalSince1970 * 1000) - Int64(maxAge.components.seconds) * 1000
                let delete = try writer.database.prepare("DELETE FROM records WHERE time_ms < ?1")
                delete.bind(cutoff, at: 1)
                try delete.run()
            }
            if let maxRows = retention.maxRows {
                let delete = try writer.database.prepare("""
                    DELETE FROM records WHERE id IN (SELECT id FROM records ORDER BY time_ms ASC
                        LIMIT MAX(0, (SELECT COUNT(*) FROM records) - ?1))
                    """)
                delete.bind(Int64(maxRows), at: 1)
                try delete.run()
            }
        } catch {
            logger.warning("retention pass failed", ["error": .string(error.description)])
        }
    }

    /// Applies retention now, on the writer thread, after what is already queued.
    public func enforceRetention() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let accepted = queue.withLock { queue -> Bool in
                guard queue.running else { return false }
                queue.retentionWaiters.append(continuation)
                return true
            }
            if accepted { signal.signal() } else { continuation.resume() }
        }
    }
}
