import Foundation
import TurnoutCollectorAPI
import TurnoutStorage

extension RecordStore {
    /// Summarises records with `fromMs <= time_ms < toMs`.
    public func summary(fromMs: Int64?, toMs: Int64?, points: Int = 60) throws(StorageError) -> Summary {
        let window = "time_ms >= ?1 AND time_ms < ?2"
        let low = fromMs ?? Int64.min
        let high = toMs ?? Int64.max
        let bindWindow: (SQLiteStatement) -> Void = { statement in
            statement.bind(low, at: 1)
            statement.bind(high, at: 2)
        }
        let aggregate = """
            COUNT(*), SUM(route = 'strong'), SUM(route = 'weak'), SUM(route = 'passthrough'), COALESCE(SUM(cost_usd), 0),
            COALESCE(SUM(strong_cost_usd - cost_usd), 0), SUM(fell_back), SUM(default_route), SUM(status >= 400)
            """
        func group(_ statement: SQLiteStatement, offset: Int32, router: String, threshold: Double?) -> Summary.Group {
            let strong = Int(statement.int64(at: offset + 1))
            let weak = Int(statement.int64(at: offset + 2))
            return Summary.Group(
                router: router, threshold: threshold, requests: Int(statement.int64(at: offset)), strong: strong, weak: weak,
                passthrough: Int(statement.int64(at: offset + 3)), strongShare: strong + weak > 0 ? Double(strong) / Double(strong + weak) : 0,
                costUSD: statement.double(at: offset + 4), costSavedUSD: statement.double(at: offset + 5),
                fallbacks: Int(statement.int64(at: offset + 6)), defaultRoutes: Int(statement.int64(at: offset + 7)),
                errors: Int(statement.int64(at: offset + 8)), latencyP50Ms: 0, latencyP95Ms: 0, latencyP99Ms: 0)
        }
        // An aggregate without GROUP BY always yields one row; SUM over no rows is NULL, read as 0.
        let totals = try query("SELECT \(aggregate) FROM records WHERE \(window)", bind: bindWindow) {
            group($0, offset: 0, router: "", threshold: nil)
        }
        guard var total = totals.first else { throw StorageError(code: 1, message: "summary query returned no row", path: path) }
        (total.latencyP50Ms, total.latencyP95Ms, total.latencyP99Ms) = try percentiles(where: window, bind: bindWindow, count: total.requests)
        var groups = try query("SELECT router, threshold, \(aggregate) FROM records WHERE \(window) GROUP BY router, threshold ORDER BY router, threshold", bind: bindWindow) {
            group($0, offset: 2, router: $0.string(at: 0) ?? "", threshold: $0.isNull(at: 1) ? nil : $0.double(at: 1))
        }
        for index in groups.indices {
            let router = groups[index].router
            let threshold = groups[index].threshold
            let clause = "\(window) AND router = ?3 AND threshold IS ?4"
            (groups[index].latencyP50Ms, groups[index].latencyP95Ms, groups[index].latencyP99Ms) = try percentiles(where: clause, bind: { statement in
                bindWindow(statement)
                statement.bind(router, at: 3)
                if let threshold { statement.bind(threshold, at: 4) } else { statement.bindNull(at: 4) }
            }, count: groups[index].requests)
        }
        let series = try timeSeries(fromMs: fromMs, toMs: toMs, points: points)
        let tenantSQL = "SELECT tenant, COUNT(*), SUM(route = 'strong'), SUM(route = 'weak'), COALESCE(SUM(cost_usd), 0) "
            + "FROM records WHERE \(window) AND tenant != '' GROUP BY tenant ORDER BY tenant"
        let tenants = try query(tenantSQL, bind: bindWindow) { row in
            let strong = Double(row.int64(at: 2)), weak = Double(row.int64(at: 3))
            return Summary.TenantGroup(tenant: row.string(at: 0) ?? "", requests: Int(row.int64(at: 1)),
                                       strongShare: strong + weak > 0 ? strong / (strong + weak) : 0, costUSD: row.double(at: 4))
        }
        return Summary(fromMs: fromMs, toMs: toMs, total: total, byRouter: groups, series: series, judgements: try judgements(fromMs: fromMs, toMs: toMs),
                       byTenant: tenants)
    }

    /// p50, p95 and p99 of total latency by nearest rank.
    private func percentiles(where clause: String, bind: @escaping (SQLiteStatement) -> Void, count: Int) throws(StorageError) -> (Double, Double, Double) {
        guard count > 0 else { return (0, 0, 0) }
        func at(_ fraction: Double) throws(StorageError) -> Double {
            let rank = max(0, Int((fraction * Double(count)).rounded(.up)) - 1)
            return try query("SELECT total_ms FROM records WHERE \(clause) ORDER BY total_ms LIMIT 1 OFFSET \(rank)", bind: bind) { $0.double(at: 0) }.first ?? 0
        }
        return (try at(0.5), try at(0.95), try at(0.99))
    }

    private func timeSeries(fromMs: Int64?, toMs: Int64?, points: Int) throws(StorageError) -> [Summary.Point] {
        let bounds = try query("SELECT MIN(time_ms), MAX(time_ms) FROM records WHERE time_ms >= ?1 AND time_ms < ?2", bind: { statement in
            statement.bind(fromMs ?? Int64.min, at: 1)
            statement.bind(toMs ?? Int64.max, at: 2)
        }) { statement -> (Int64, Int64)? in
            statement.isNull(at: 0) ? nil : (statement.int64(at: 0), statement.int64(at: 1))
        }
        guard let found = bounds.first, let (first, last) = found else { return [] }
        let start = fromMs ?? first
        let end = max(toMs.map { min($0, last + 1) } ?? last + 1, start + 1)
        let width = max(1, (end - start + Int64(points) - 1) / Int64(points))
        return try query("""
            SELECT (time_ms - ?1) / ?3 AS bucket, COUNT(*), SUM(route = 'strong'), SUM(route IN ('strong', 'weak')), COALESCE(SUM(cost_usd), 0)
            FROM records WHERE time_ms >= ?1 AND time_ms < ?2 GROUP BY bucket ORDER BY bucket
            """, bind: { statement in
            statement.bind(start, at: 1)
            statement.bind(end, at: 2)
            statement.bind(width, at: 3)
        }) { statement in
            let routed = statement.int64(at: 3)
            return Summary.Point(startMs: start + statement.int64(at: 0) * width, requests: Int(statement.int64(at: 1)),
                                 strongShare: routed > 0 ? Double(statement.int64(at: 2)) / Double(routed) : 0,
                                 costUSD: statement.double(at: 4))
        }
    }
}
