import Synchronization
import TurnoutCollectorAPI
import TurnoutTelemetry

/// Every dispatcher's recent win rates, per router version, for live calibration: one
/// dispatcher alone sees only its share of the traffic, and a replica that has just started
/// sees none. Fed from the routing records as they arrive; in memory only, since an hour of
/// traffic rebuilds it and a restart loses at most that.
public final class WinRatePool: Sendable {
    /// Values kept per router version: the largest window a dispatcher may ask for.
    public static let capacity = 20_000
    /// Router versions kept; the one seen least recently goes first.
    public static let maxKeys = 64
    public static let maxAgeMs: Int64 = 24 * 3_600_000

    private struct Key: Hashable {
        var router: String
        var version: String
    }

    private struct State {
        var windows: [Key: RecentValues] = [:]
        var lastSeen: [Key: Int64] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// Takes the win rates of routed records that were scored (not default routes).
    public func add(_ records: [RoutingRecord]) {
        state.withLock { state in
            for record in records {
                guard !record.router.isEmpty, !record.defaultRoute, let rate = record.winRate, let version = record.routerVersion, !version.isEmpty else { continue }
                let key = Key(router: record.router, version: version)
                if state.windows[key] == nil {
                    if state.windows.count >= Self.maxKeys, let stalest = state.lastSeen.min(by: { $0.value < $1.value })?.key {
                        state.windows[stalest] = nil
                        state.lastSeen[stalest] = nil
                    }
                    state.windows[key] = RecentValues(capacity: Self.capacity, maxAgeMs: Self.maxAgeMs)
                }
                state.windows[key]?.append(rate, atMs: record.timeMs)
                state.lastSeen[key] = max(state.lastSeen[key] ?? 0, record.timeMs)
            }
        }
    }

    /// The newest `window` win rates of a router version no older than `maxAgeMs`, as 101 quantiles.
    public func quantiles(_ request: CollectorAPI.WinRatesRequest, nowMs: Int64) -> CollectorAPI.WinRatesResponse {
        let values = state.withLock { state in
            state.windows[Key(router: request.router, version: request.version)]?.current(nowMs: nowMs, limit: max(1, request.window), age: request.maxAgeMs)
        } ?? []
        let sorted = values.sorted()
        let table = sorted.isEmpty ? [] : (0...100).map { RecentValues.quantile(sorted, Double($0) / 100) }
        return CollectorAPI.WinRatesResponse(count: sorted.count, quantiles: table)
    }
}
