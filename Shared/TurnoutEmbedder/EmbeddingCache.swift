import Dispatch
import Foundation
import Synchronization
import TurnoutStorage
import TurnoutTelemetry

/// A persistent cache of embeddings keyed by model id and the SHA-256 of the text.
///
/// Prompts repeat (system prompts, retries, popular questions), and a hit costs a B-tree
/// lookup instead of a forward pass. SQLite in WAL mode survives restarts; size is bounded
/// by entry count with least-recently-used eviction, using a logical clock rather than wall
/// time so that clock jumps never reorder it. A damaged file is moved aside and recreated,
/// and the service keeps serving.
///
/// Writes are off the request path: a miss's new vector and a hit's recency go to a serial
/// writer queue, and a vector waiting there is served from memory, so a caller never waits
/// for a SQLite transaction it does not need. The queue keeps the order of operations, which
/// is what the LRU order is. `flush()` waits for it (tests, shutdown, `turnout eval`).
public final class EmbeddingCache: Sendable {
    public struct Statistics: Sendable, Equatable {
        public var hits: Int
        public var misses: Int
        public var entries: Int
        public var evictions: Int
    }

    /// The connection and its statements; @unchecked Sendable because it is only ever used under `store`'s lock.
    private final class Store: @unchecked Sendable {
        let database: SQLiteDatabase
        let select: SQLiteStatement
        let touch: SQLiteStatement
        let insert: SQLiteStatement
        let update: SQLiteStatement
        let evict: SQLiteStatement
        var clock: Int64
        var entries: Int

        init(path: String, logger: Logger) throws(StorageError) {
            database = try SQLiteDatabase.openRecovering(path: path) { message in
                logger.warning("embedding cache was damaged", ["path": .string(path), "detail": .string(message)])
            }
            try database.execute("""
                CREATE TABLE IF NOT EXISTS embeddings (
                    model TEXT NOT NULL, key BLOB NOT NULL, vector BLOB NOT NULL, used INTEGER NOT NULL,
                    PRIMARY KEY (model, key)) WITHOUT ROWID;
                CREATE INDEX IF NOT EXISTS embeddings_by_use ON embeddings (used);
                """)
            select = try database.prepare("SELECT vector FROM embeddings WHERE model = ?1 AND key = ?2")
            touch = try database.prepare("UPDATE embeddings SET used = ?3 WHERE model = ?1 AND key = ?2")
            // Insert-or-ignore then update tells a new entry from a replaced one, so the count is
            // kept without a COUNT(*) scan per store.
            insert = try database.prepare("INSERT OR IGNORE INTO embeddings (model, key, vector, used) VALUES (?1, ?2, ?3, ?4)")
            update = try database.prepare("UPDATE embeddings SET vector = ?3, used = ?4 WHERE model = ?1 AND key = ?2")
            evict = try database.prepare("DELETE FROM embeddings WHERE (model, key) IN (SELECT model, key FROM embeddings ORDER BY used LIMIT ?1)")
            let stats = try database.prepare("SELECT COUNT(*), COALESCE(MAX(used), 0) FROM embeddings")
            _ = try stats.step()
            entries = Int(stats.int64(at: 0))
            clock = stats.int64(at: 1)
        }
    }

    public let path: String
    public let maxEntries: Int
    private let logger: Logger
    private let store: Mutex<Store?>
    private let hits = Atomic<Int>(0)
    private let misses = Atomic<Int>(0)
    private let evictions = Atomic<Int>(0)
    private let hitCounter: Counter?
    private let missCounter: Counter?
    /// Vectors stored but not yet written, by model and key: served as hits meanwhile.
    private let pending = Mutex<[PendingKey: [Float]]>([:])
    private let writer = DispatchQueue(label: "embedding-cache-writer")

    private struct PendingKey: Hashable {
        let model: String
        let key: [UInt8]
    }

    /// Opens or creates the cache at `path`.
    /// - Throws: `StorageError` only when the file cannot be created at all (e.g. a read-only directory).
    public init(path: String, maxEntries: Int, logger: Logger, metrics: MetricsRegistry? = nil) throws(StorageError) {
        hitCounter = metrics?.counter("turnout_embedder_cache_hits_total", help: "Texts whose vector came from the cache.")
        missCounter = metrics?.counter("turnout_embedder_cache_misses_total", help: "Texts that had to be embedded.")
        self.path = path
        self.maxEntries = max(1, maxEntries)
        self.logger = logger
        store = Mutex(try Store(path: path, logger: logger))
    }

    /// Looks up `keys` for `model`; found vectors are marked recently used (by the writer).
    public func vectors(model: String, keys: [[UInt8]]) -> [[Float]?] {
        var found = pending.withLock { pending in keys.map { pending[PendingKey(model: model, key: $0)] } }
        let unresolved = found.indices.filter { found[$0] == nil }
        if !unresolved.isEmpty {
            let stored = withStore { store throws(StorageError) -> [[Float]?] in
                try store.database.transaction { () throws(StorageError) -> [[Float]?] in
                    try unresolved.map { index throws(StorageError) -> [Float]? in
                        store.select.bind(model, at: 1)
                        store.select.bind(blob: keys[index], at: 2)
                        defer { store.select.reset() }
                        return try store.select.step() ? Self.decode(store.select.blob(at: 0)) : nil
                    }
                }
            } ?? Array(repeating: nil, count: unresolved.count)
            for (index, vector) in zip(unresolved, stored) { found[index] = vector }
        }
        let hitKeys = found.indices.filter { found[$0] != nil }.map { keys[$0] }
        if !hitKeys.isEmpty { writer.async { [self] in touch(model: model, keys: hitKeys) } }
        let hitCount = hitKeys.count
        hits.add(hitCount, ordering: .relaxed)
        misses.add(found.count - hitCount, ordering: .relaxed)
        hitCounter?.increment(by: Double(hitCount))
        missCounter?.increment(by: Double(found.count - hitCount))
        return found
    }

    /// Stores vectors (served from memory at once, written by the writer queue), evicting the
    /// least recently used entries beyond `maxEntries`.
    public func store(model: String, entries: [(key: [UInt8], vector: [Float])]) {
        guard !entries.isEmpty else { return }
        pending.withLock { pending in
            for entry in entries { pending[PendingKey(model: model, key: entry.key)] = entry.vector }
        }
        writer.async { [self] in
            write(model: model, entries: entries)
            pending.withLock { pending in
                for entry in entries {
                    let key = PendingKey(model: model, key: entry.key)
                    // A later store of the same key is still queued: it removes its own.
                    if pending[key] == entry.vector { pending[key] = nil }
                }
            }
        }
    }

    /// Waits until every queued write has reached SQLite.
    public func flush() {
        writer.sync {}
    }

    private func touch(model: String, keys: [[UInt8]]) {
        _ = withStore { store throws(StorageError) -> Void in
            store.clock += 1
            let now = store.clock
            try store.database.transaction { () throws(StorageError) in
                for key in keys {
                    store.touch.bind(model, at: 1)
                    store.touch.bind(blob: key, at: 2)
                    store.touch.bind(now, at: 3)
                    try store.touch.run()
                }
            }
        }
    }

    private func write(model: String, entries: [(key: [UInt8], vector: [Float])]) {
        _ = withStore { store throws(StorageError) -> Void in
            store.clock += 1
            let now = store.clock
            var added = 0
            try store.database.transaction { () throws(StorageError) in
                for entry in entries {
                    let vector = Self.encode(entry.vector)
                    store.insert.bind(model, at: 1)
                    store.insert.bind(blob: entry.key, at: 2)
                    store.insert.bind(blob: vector, at: 3)
                    store.insert.bind(now, at: 4)
                    try store.insert.run()
                    if store.database.changes > 0 {
                        added += 1
                        continue
                    }
                    store.update.bind(model, at: 1)
                    store.update.bind(blob: entry.key, at: 2)
                    store.update.bind(blob: vector, at: 3)
                    store.update.bind(now, at: 4)
                    try store.update.run()
                }
            }
            store.entries += added
            if store.entries > maxEntries {
                // Evict down to 90% so eviction runs once per many inserts, not on every one.
                let excess = store.entries - maxEntries * 9 / 10
                store.evict.bind(Int64(excess), at: 1)
                try store.evict.run()
                let removed = store.database.changes
                store.entries -= removed
                evictions.add(removed, ordering: .relaxed)
            }
        }
    }

    /// Counts so far; waits for queued writes first, so `entries` counts them.
    public var statistics: Statistics {
        flush()
        let entries = store.withLock { $0?.entries ?? 0 }
        return Statistics(hits: hits.load(ordering: .relaxed), misses: misses.load(ordering: .relaxed),
                          entries: entries, evictions: evictions.load(ordering: .relaxed))
    }

    /// The cache key of a text: SHA-256 of its UTF-8 bytes.
    public static func key(for text: String) -> [UInt8] {
        SHA256.hash(text)
    }

    /// Runs `body` on the store; on corruption it recreates the file once, on other errors it
    /// logs and returns nil: a broken cache must cost speed, never availability.
    private func withStore<T>(_ body: (Store) throws(StorageError) -> T) -> T? {
        store.withLock { slot -> T? in
            guard let current = slot else { return nil }
            do throws(StorageError) {
                return try body(current)
            } catch {
                logger.warning("embedding cache operation failed", ["path": .string(path), "error": .string(error.description)])
                guard error.isCorruption else { return nil }
                slot = nil
                do {
                    try FileManager.default.moveItem(atPath: path, toPath: "\(path).corrupt-\(Int(Date().timeIntervalSince1970))")
                    slot = try Store(path: path, logger: logger)
                } catch {
                    logger.error("embedding cache disabled: could not recreate it", ["path": .string(path), "error": .string("\(error)")])
                }
                return nil
            }
        }
    }

    static func encode(_ vector: [Float]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(vector.count * 4)
        for value in vector {
            let bits = value.bitPattern.littleEndian
            withUnsafeBytes(of: bits) { bytes.append(contentsOf: $0) }
        }
        return bytes
    }

    static func decode(_ bytes: [UInt8]) -> [Float]? {
        guard bytes.count % 4 == 0, !bytes.isEmpty else { return nil }
        var vector = [Float](repeating: 0, count: bytes.count / 4)
        for index in vector.indices {
            let offset = index * 4
            let bits = UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
            vector[index] = Float(bitPattern: bits)
        }
        return vector
    }
}
