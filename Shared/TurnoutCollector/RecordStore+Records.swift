import Foundation
import TurnoutCollectorAPI
import TurnoutStorage

extension RecordStore {
    static let recordsSchema = """
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
            body TEXT NOT NULL,
            tenant TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX IF NOT EXISTS records_by_time ON records (time_ms);
        """

    /// Files written before tenants were recorded gain the column (their records: tenant '').
    static func migrateRecords(_ database: SQLiteDatabase) throws(StorageError) {
        let statement = try database.prepare("SELECT COUNT(*) FROM pragma_table_info('records') WHERE name = 'tenant'")
        guard try statement.step(), statement.int64(at: 0) == 0 else { return }
        try database.execute("ALTER TABLE records ADD COLUMN tenant TEXT NOT NULL DEFAULT ''")
    }

    static let insertRecord = """
        INSERT OR IGNORE INTO records (id, time_ms, router, threshold, win_rate, route, chosen_model, answering_model,
            fell_back, default_route, total_ms, cost_usd, strong_cost_usd, status, body, tenant)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
        """

    /// Stores routing records; returns how many were new once they are committed.
    public func store(_ records: [RoutingRecord]) async throws(StorageError) -> Int {
        let encoder = JSONEncoder()
        return try await enqueue(insert: Self.insertRecord, rows: records.map { record in
            let body = (try? encoder.encode(record)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
            return { insert in
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
                insert.bind(body, at: 15)
                insert.bind(record.tenant ?? "", at: 16)
            }
        })
    }

    /// What each tenant's requests cost from `fromMs` on, and all of them together: the
    /// month-to-date spend budgets are checked against, pooled over every dispatcher.
    public func spend(fromMs: Int64) throws(StorageError) -> CollectorAPI.SpendResponse {
        let rows = try query("SELECT tenant, COALESCE(SUM(cost_usd), 0) FROM records WHERE time_ms >= ?1 GROUP BY tenant", bind: { $0.bind(fromMs, at: 1) }) {
            ($0.string(at: 0) ?? "", $0.double(at: 1))
        }
        var tenants: [String: Double] = [:]
        for (tenant, cost) in rows where !tenant.isEmpty { tenants[tenant] = cost }
        return CollectorAPI.SpendResponse(totalUSD: rows.reduce(0) { $0 + $1.1 }, tenants: tenants)
    }
}
