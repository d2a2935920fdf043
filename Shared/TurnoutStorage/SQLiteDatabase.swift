import CSQLite
import Foundation

/// One SQLite connection.
///
/// Not thread-safe by design: each owner (a cache, a record store) keeps its connection and
/// statements behind its own lock, so there is one place that serialises access and no
/// hidden locking inside SQLite to reason about.
public final class SQLiteDatabase {
    public let path: String
    let handle: OpaquePointer

    /// Opens (creating if needed) the database at `path` in WAL mode.
    /// - Parameter synchronous: `NORMAL` is durable across process crashes in WAL mode;
    ///   `FULL` also across power loss.
    public init(path: String, synchronous: String = "NORMAL", busyTimeoutMilliseconds: Int32 = 5000) throws(StorageError) {
        self.path = path
        var pointer: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let result = sqlite3_open_v2(path, &pointer, flags, nil)
        guard result == SQLITE_OK, let pointer else {
            let message = pointer.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close_v2(pointer)
            throw StorageError(code: result, message: message, path: path)
        }
        handle = pointer
        sqlite3_busy_timeout(handle, busyTimeoutMilliseconds)
        sqlite3_extended_result_codes(handle, 1)
        do {
            try execute("PRAGMA journal_mode=WAL")
            try execute("PRAGMA synchronous=\(synchronous)")
            try execute("PRAGMA foreign_keys=ON")
        } catch {
            sqlite3_close_v2(handle)
            throw error
        }
    }

    deinit {
        sqlite3_close_v2(handle)
    }

    /// Runs one or more statements that return no rows.
    public func execute(_ sql: String) throws(StorageError) {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let result = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        guard result == SQLITE_OK else {
            let message = errorMessage.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(errorMessage)
            throw StorageError(code: result, message: message, path: path, sql: sql)
        }
    }

    public func prepare(_ sql: String) throws(StorageError) -> SQLiteStatement {
        try SQLiteStatement(database: self, sql: sql)
    }

    /// Runs `body` in a transaction: committed if it returns, rolled back if it throws.
    public func transaction<T>(_ body: () throws(StorageError) -> T) throws(StorageError) -> T {
        try execute("BEGIN IMMEDIATE")
        do throws(StorageError) {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// `PRAGMA quick_check`: nil when the file is sound, else what is wrong.
    public func quickCheck() -> String? {
        do {
            let statement = try prepare("PRAGMA quick_check")
            var problems: [String] = []
            while try statement.step() {
                let line = statement.string(at: 0) ?? ""
                if line != "ok" { problems.append(line) }
            }
            return problems.isEmpty ? nil : problems.joined(separator: "; ")
        } catch {
            return error.description
        }
    }

    var lastErrorMessage: String { String(cString: sqlite3_errmsg(handle)) }

    public var changes: Int { Int(sqlite3_changes(handle)) }

    /// Opens the database at `path`, and if the file is damaged moves it (with its WAL) aside
    /// to `path.corrupt-<unix time>` and starts afresh; `onRecovery` hears about it.
    public static func openRecovering(path: String, synchronous: String = "NORMAL", onRecovery: (String) -> Void) throws(StorageError) -> SQLiteDatabase {
        let failure: StorageError
        do throws(StorageError) {
            let database = try SQLiteDatabase(path: path, synchronous: synchronous)
            guard let problem = database.quickCheck() else { return database }
            failure = StorageError(code: SQLITE_CORRUPT, message: problem, path: path)
        } catch {
            failure = error
        }
        guard failure.isCorruption else { throw failure }
        let aside = "\(path).corrupt-\(Int(Date().timeIntervalSince1970))"
        let files = FileManager.default
        try? files.moveItem(atPath: path, toPath: aside)
        for suffix in ["-wal", "-shm"] {
            try? files.moveItem(atPath: path + suffix, toPath: aside + suffix)
        }
        onRecovery("\(failure.message); moved the damaged file to \(aside) and started an empty one")
        return try SQLiteDatabase(path: path, synchronous: synchronous)
    }
}
