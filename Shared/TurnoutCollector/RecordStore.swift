import Foundation
import Synchronization
import TurnoutCollectorAPI
import TurnoutStorage
import TurnoutTelemetry

/// The collector's records in SQLite (WAL mode), written in group commits: routing records,
/// and the battles and ratings the deployment learns from (`RecordStore+Learning.swift`).
///
/// Batches from every connection queue up for one writer thread, which commits all that are
/// waiting in a single transaction and only then acknowledges each. With `synchronous=FULL`
/// an acknowledged record has reached the disk, and one fsync covers many batches, so
/// durability does not cost a sync per batch. `INSERT OR IGNORE` on each table's id makes a
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

        /// Battles and ratings: 90 days, a million rows.
        public static let learningDefault = Retention(maxAge: .seconds(90 * 86400), maxRows: 1_000_000)
    }

    /// One batch: its insert statement and a binding per row.
    private struct Pending {
        let insert: String
        let rows: [@Sendable (SQLiteStatement) -> Void]
        let done: @Sendable (Result<Int, StorageError>) -> Void
    }

    /// A table retention applies to, by its `time_ms` column.
    private struct RetainedTable: Sendable {
        let name: String
        let retention: Retention
    }

    private struct Queue {
        var pending: [Pending] = []
        var retentionWaiters: [CheckedContinuation<Void, Never>] = []
        var running = true
    }

    public let path: String
    public let retention: Retention
    /// Retention of battles and ratings, apart from routing records': they hold prompts.
    public let learningRetention: Retention
    private let retainedTables: [RetainedTable]
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

    public init(path: String, retention: Retention = Retention(), learningRetention: Retention = .learningDefault, synchronous: String = "FULL",
                logger: Logger) throws(StorageError) {
        self.path = path
        self.retention = retention
        self.learningRetention = learningRetention
        retainedTables = [RetainedTable(name: "records", retention: retention), RetainedTable(name: "battles", retention: learningRetention),
                          RetainedTable(name: "feedback", retention: learningRetention)]
        self.logger = logger
        let database = try SQLiteDatabase.openRecovering(path: path, synchronous: synchronous) { message in
            logger.error("record store was damaged", ["path": .string(path), "detail": .string(message)])
        }
        try database.execute(Self.recordsSchema)
        try Self.migrateRecords(database)
        try database.execute(Self.learningSchema)
        writer = Connection(database: database)
        reader = Connection(database: try SQLiteDatabase(path: path, synchronous: synchronous))
        let thread = Thread { [self] in
            writeLoop()
            stopped.signal()
        }
        thread.name = "record-writer"
        thread.start()
    }

    /// Queues one batch for the writer; returns how many rows were new once it is committed.
    func enqueue(insert: String, rows: [@Sendable (SQLiteStatement) -> Void]) async throws(StorageError) -> Int {
        guard !rows.isEmpty else { return 0 }
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Int, StorageError>, Never>) in
            let accepted = queue.withLock { queue -> Bool in
                guard queue.running else { return false }
                queue.pending.append(Pending(insert: insert, rows: rows) { continuation.resume(returning: $0) })
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
        count(in: "records")
    }

    /// Rows in one of the store's tables.
    func count(in table: String) -> Int {
        (try? query("SELECT COUNT(*) FROM \(table)") { $0.int64(at: 0) }.first.map(Int.init)) ?? 0
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
            var statements: [String: SQLiteStatement] = [:]
            let counts = try database.transaction { () throws(StorageError) -> [Int] in
                var counts: [Int] = []
                for batch in batches {
                    let insert: SQLiteStatement
                    if let prepared = statements[batch.insert] {
                        insert = prepared
                    } else {
                        insert = try database.prepare(batch.insert)
                        statements[batch.insert] = insert
                    }
                    var stored = 0
                    for bind in batch.rows {
                        bind(insert)
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
            logger.error("could not store records", ["error": .string(error.description), "batches": .int(batches.count)])
            for batch in batches { batch.done(.failure(error)) }
        }
    }

    private func applyRetention() {
        for table in retainedTables {
            do throws(StorageError) {
                if let maxAge = table.retention.maxAge {
                    let cutoff = Int64(Date().timeIntervalSince1970 * 1000) - Int64(maxAge.components.seconds) * 1000
                    let delete = try writer.database.prepare("DELETE FROM \(table.name) WHERE time_ms < ?1")
                    delete.bind(cutoff, at: 1)
                    try delete.run()
                }
                if let maxRows = table.retention.maxRows {
                    let delete = try writer.database.prepare("""
                        DELETE FROM \(table.name) WHERE id IN (SELECT id FROM \(table.name) ORDER BY time_ms ASC
                            LIMIT MAX(0, (SELECT COUNT(*) FROM \(table.name)) - ?1))
                        """)
                    delete.bind(Int64(maxRows), at: 1)
                    try delete.run()
                }
            } catch {
                logger.warning("retention pass failed", ["table": .string(table.name), "error": .string(error.description)])
            }
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
