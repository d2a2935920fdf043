import Testing
import TurnoutCollector
import TurnoutCollectorAPI

@Suite struct WinRatePoolTests {
    static func record(_ id: Int, router: String = "mf", version: String? = "v1", rate: Double?, timeMs: Int64, defaultRoute: Bool = false) -> RoutingRecord {
        RoutingRecord(id: "r\(id)", timeMs: timeMs, requestID: "q\(id)", router: router, threshold: 0.5, winRate: rate, route: "weak", chosenModel: "w",
                      answeringModel: "w", fellBack: false, defaultRoute: defaultRoute, embedMs: 1, scoreMs: 1, upstreamFirstByteMs: 1, totalMs: 2,
                      promptTokens: 1, completionTokens: 1, costUSD: 0, strongCostUSD: 0, status: 200, stream: false, routerVersion: version)
    }

    @Test func poolsEachVersionApartAndSkipsWhatWasNotScored() {
        let pool = WinRatePool()
        pool.add((0..<100).map { Self.record($0, rate: Double($0) / 99, timeMs: 1_000 + Int64($0)) })
        pool.add([Self.record(100, version: "v2", rate: 0.99, timeMs: 1_200), Self.record(101, rate: 0.5, timeMs: 1_200, defaultRoute: true),
                  Self.record(102, rate: nil, timeMs: 1_200), Self.record(103, version: nil, rate: 0.1, timeMs: 1_200), Self.record(104, router: "", rate: 0.1, timeMs: 1_200)])
        let all = pool.quantiles(.init(router: "mf", version: "v1", window: 1_000, maxAgeMs: 10_000), nowMs: 2_000)
        #expect(all.count == 100 && all.quantiles.count == 101)
        #expect(abs(all.quantiles[50] - 0.5) < 1e-9 && all.quantiles[0] == 0 && all.quantiles[100] == 1)
        let newest = pool.quantiles(.init(router: "mf", version: "v1", window: 10, maxAgeMs: 10_000), nowMs: 2_000)
        #expect(newest.count == 10 && newest.quantiles[0] >= 0.9, "the newest ten")
        let recent = pool.quantiles(.init(router: "mf", version: "v1", window: 1_000, maxAgeMs: 1_020), nowMs: 2_050)
        #expect(recent.count == 70, "only those at most 1,020 ms old")
        #expect(pool.quantiles(.init(router: "mf", version: "v2", window: 10, maxAgeMs: 10_000), nowMs: 2_000).count == 1)
        #expect(pool.quantiles(.init(router: "sw", version: "v1", window: 10, maxAgeMs: 10_000), nowMs: 2_000) == .init(count: 0, quantiles: []))
    }
}
