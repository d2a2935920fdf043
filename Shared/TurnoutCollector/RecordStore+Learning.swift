import Foundation
import TurnoutCollectorAPI
import TurnoutStorage

/// Battles and ratings: what the deployment learns from (docs/learning.md). They hold
/// prompts, so they have a retention of their own (`learningRetention`).
extension RecordStore {
    static let learningSchema = """
        CREATE TABLE IF NOT EXISTS battles (
            id TEXT PRIMARY KEY,
            time_ms INTEGER NOT NULL,
            router TEXT NOT NULL,
            router_version TEXT NOT NULL,
            winner TEXT NOT NULL,
            source TEXT NOT NULL,
            body TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS battles_by_time ON battles (time_ms, id);
        CREATE TABLE IF NOT EXISTS feedback (
            id TEXT PRIMARY KEY,
            time_ms INTEGER NOT NULL,
            router TEXT NOT NULL,
            router_version TEXT NOT NULL,
            rating TEXT NOT NULL,
            body TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS feedback_by_time ON feedback (time_ms, id);
        """

    /// Stores battles; returns how many were new once they are committed.
    public func store(battles: [BattleRecord]) async throws(StorageError) -> Int {
        let encoder = Self.bodyEncoder
        return try await enqueue(insert: """
            INSERT OR IGNORE INTO battles (id, time_ms, router, router_version, winner, source, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
            """, rows: battles.map { battle in
            let body = (try? encoder.encode(battle)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
            return { insert in
                insert.bind(battle.id, at: 1)
                insert.bind(battle.timeMs, at: 2)
                insert.bind(battle.router, at: 3)
                insert.bind(battle.routerVersion, at: 4)
                insert.bind(battle.winner.rawValue, at: 5)
                insert.bind(battle.source.rawValue, at: 6)
                insert.bind(body, at: 7)
            }
        })
    }

    /// Stores ratings, one per request id: a second rating of the same request is ignored.
    public func store(feedback: [FeedbackRecord]) async throws(StorageError) -> Int {
        let encoder = Self.bodyEncoder
        return try await enqueue(insert: """
            INSERT OR IGNORE INTO feedback (id, time_ms, router, router_version, rating, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
            """, rows: feedback.map { rating in
            let body = (try? encoder.encode(rating)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
            return { insert in
                insert.bind(rating.id, at: 1)
                insert.bind(rating.timeMs, at: 2)
                insert.bind(rating.router, at: 3)
                insert.bind(rating.routerVersion, at: 4)
                insert.bind(rating.rating.rawValue, at: 5)
                insert.bind(body, at: 6)
            }
        })
    }

    /// Exports are written with sorted keys, so a line is the same every time it is read.
    static var bodyEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// Where one page of an export ends, for the next to start after it.
    public struct ExportCursor: Sendable, Equatable {
        public var timeMs: Int64
        public var id: String
    }

    /// The stored JSON of up to `limit` rows of `table` (`battles` or `feedback`) with
    /// `since <= time_ms < until`, in time order and after `cursor`: one page of an export.
    /// - Parameter source: for battles, only those of this source.
    public func exportPage(_ table: ExportTable, since: Int64, until: Int64, after cursor: ExportCursor?, source: BattleRecord.Source? = nil,
                           limit: Int = exportPageSize) throws(StorageError) -> (lines: [String], last: ExportCursor?) {
        var clauses = ["time_ms >= ?1", "time_ms < ?2"]
        if cursor != nil { clauses.append("(time_ms > ?3 OR (time_ms = ?3 AND id > ?4))") }
        if source != nil { clauses.append("source = ?5") }
        let rows = try query("SELECT time_ms, id, body FROM \(table.rawValue) WHERE \(clauses.joined(separator: " AND ")) ORDER BY time_ms, id LIMIT ?6", bind: { statement in
            statement.bind(since, at: 1)
            statement.bind(until, at: 2)
            if let cursor {
                statement.bind(cursor.timeMs, at: 3)
                statement.bind(cursor.id, at: 4)
            }
            if let source { statement.bind(source.rawValue, at: 5) }
            statement.bind(Int64(limit), at: 6)
        }) { statement in
            (ExportCursor(timeMs: statement.int64(at: 0), id: statement.string(at: 1) ?? ""), statement.string(at: 2) ?? "{}")
        }
        return (rows.map(\.1), rows.last?.0)
    }

    /// Rows per page of an export.
    public static let exportPageSize = 1000

    public enum ExportTable: String, Sendable {
        case battles, feedback
    }

    /// Battles and ratings per router version over a window, for `/summary` and the dashboard.
    public func judgements(fromMs: Int64?, toMs: Int64?) throws(StorageError) -> [Summary.Judgements] {
        let bind: (SQLiteStatement) -> Void = { statement in
            statement.bind(fromMs ?? Int64.min, at: 1)
            statement.bind(toMs ?? Int64.max, at: 2)
        }
        var groups: [String: Summary.Judgements] = [:]
        func key(_ router: String, _ version: String) -> String { router + "\u{0}" + version }
        for (router, version, judged, strong, weak, bothBad) in try query("""
            SELECT router, router_version, COUNT(*), SUM(winner = 'model_a'), SUM(winner = 'model_b'), SUM(winner = 'tie (bothbad)')
            FROM battles WHERE source = 'shadow' AND time_ms >= ?1 AND time_ms < ?2 GROUP BY router, router_version
            """, bind: bind, row: { ($0.string(at: 0) ?? "", $0.string(at: 1) ?? "", Int($0.int64(at: 2)), Int($0.int64(at: 3)), Int($0.int64(at: 4)), Int($0.int64(at: 5))) }) {
            groups[key(router, version)] = Summary.Judgements(router: router, routerVersion: version, judged: judged, strongWins: strong, weakWins: weak,
                                                              ties: judged - strong - weak, bothBad: bothBad, ratedUp: 0, ratedDown: 0)
        }
        for (router, version, up, down) in try query("""
            SELECT router, router_version, SUM(rating = 'up'), SUM(rating = 'down') FROM feedback WHERE time_ms >= ?1 AND time_ms < ?2
            GROUP BY router, router_version
            """, bind: bind, row: { ($0.string(at: 0) ?? "", $0.string(at: 1) ?? "", Int($0.int64(at: 2)), Int($0.int64(at: 3))) }) {
            var group = groups[key(router, version)]
                ?? Summary.Judgements(router: router, routerVersion: version, judged: 0, strongWins: 0, weakWins: 0, ties: 0, bothBad: 0, ratedUp: 0, ratedDown: 0)
            group.ratedUp = up
            group.ratedDown = down
            groups[key(router, version)] = group
        }
        return groups.values.sorted { ($0.router, $0.routerVersion) < ($1.router, $1.routerVersion) }
    }
}
