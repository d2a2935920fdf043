import Foundation
import Synchronization
import Testing
@testable import TurnoutDispatcher
import TurnoutRuntime
import TurnoutTelemetry

@Suite struct TenantParsingTests {
    @Test func readsNamesLimitsAndBudgets() throws {
        let parsed = try Tenant.parse(["sk-plain", "alpha:sk-a rpm=120", "beta.team:sk-b budget_usd=250 rpm=6"])
        #expect(parsed.map(\.key) == ["sk-plain", "sk-a", "sk-b"])
        #expect(parsed.map(\.tenant) == [Tenant(name: "client-1"), Tenant(name: "alpha", requestsPerMinute: 120),
                                         Tenant(name: "beta.team", requestsPerMinute: 6, monthlyBudgetUSD: 250)])
    }

    @Test(arguments: [(["a:sk-1", "a:sk-2"], "named twice"), (["bad/name:sk"], "tenant name"), (["x:"], "is empty"),
                      (["x:sk rpm=0"], "above 0"), (["x:sk burst=3"], "unknown setting"), (["x:sk rpm=fast"], "rpm=N")])
    func refusesWhatItCannotRead(_ entries: [String], _ mention: String) {
        do {
            _ = try Tenant.parse(entries)
            Issue.record("\(entries) must be refused")
        } catch {
            #expect(error.description.contains(mention), "\(error)")
            #expect(!error.description.contains("sk-"), "a key never appears in an error: \(error)")
        }
    }
}

@Suite struct TenantGateTests {
    final class Clock: Sendable {
        let now = Mutex(Date(timeIntervalSince1970: 1_764_633_600))  // 2025-12-02 00:00 UTC
        func advance(_ seconds: TimeInterval) { now.withLock { $0 += seconds } }
    }

    @Test func aBurstPastTheRateLimitWaitsForATokenAndSaysHowLong() {
        let clock = Clock()
        let gate = TenantGate(tenants: [], collector: nil, metrics: MetricsRegistry()) { clock.now.withLock { $0 } }
        let tenant = Tenant(name: "alpha", requestsPerMinute: 12)  // 0.2 a second, a burst of 2
        #expect(gate.admit(tenant) == nil && gate.admit(tenant) == nil)
        #expect(gate.admit(tenant) == .rateLimited(retryAfter: 5))
        clock.advance(3)
        #expect(gate.admit(tenant) == .rateLimited(retryAfter: 2), "three seconds in, 0.6 of a token")
        clock.advance(2)
        #expect(gate.admit(tenant) == nil)
        #expect(gate.admit(Tenant(name: "free")) == nil, "no limit, no budget")
        let error = TenantGate.Refusal.rateLimited(retryAfter: 5).error(tenant: "alpha")
        #expect(error.status == 429 && error.code == "rate_limit_exceeded" && error.retryAfter == "5")
    }

    @Test func aBudgetSpentIsRefusedUntilTheMonthTurns() {
        let clock = Clock()
        let gate = TenantGate(tenants: [Tenant(name: "beta")], collector: nil, metrics: MetricsRegistry()) { clock.now.withLock { $0 } }
        let tenant = Tenant(name: "beta", monthlyBudgetUSD: 1)
        #expect(gate.admit(tenant) == nil)
        gate.spent(0.6, by: "beta")
        #expect(gate.admit(tenant) == nil)
        gate.spent(0.5, by: "beta")
        guard case let .overBudget(spent, budget)? = gate.admit(tenant) else {
            Issue.record("$1.10 of $1 spent must be refused")
            return
        }
        #expect(abs(spent - 1.1) < 1e-9 && budget == 1)
        let error = TenantGate.Refusal.overBudget(spentUSD: spent, budgetUSD: budget).error(tenant: "beta")
        #expect(error.status == 429 && error.code == "insufficient_quota" && error.type == "insufficient_quota" && error.message.contains("$1.10"))
        clock.advance(31 * 86_400)
        gate.spent(0.01, by: "beta")
        #expect(gate.admit(tenant) == nil, "a new month, a new budget")
    }

    @Test func anHourlyBudgetLowersTheShareScaleAndGivesItBack() async {
        let clock = Clock()
        let gate = TenantGate(tenants: [], hourlyBudgetUSD: 10, collector: nil, metrics: MetricsRegistry()) { clock.now.withLock { $0 } }
        await gate.refresh()
        #expect(gate.shareScale == 1)
        gate.spent(20, by: nil)
        await gate.refresh()
        #expect(abs(gate.shareScale - 0.5) < 1e-9, "twice the budget: half the share")
        await gate.refresh()
        #expect(abs(gate.shareScale - 0.25) < 1e-9, "still over: lower again")
        clock.advance(3_700)
        await gate.refresh()
        #expect(gate.shareScale == 1, "an hour without spend: back to what was asked, never above")
    }

    /// A budget's month is named by arithmetic now; it must name the month Calendar does, for
    /// every day across leap years, centuries and both sides of every month's first second.
    @Test func theMonthIsTheCalendarsUTCMonth() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .gmt
        func expected(_ date: Date) -> String {
            let parts = calendar.dateComponents([.year, .month], from: date)
            return "\(parts.year ?? 0)-\(parts.month ?? 0)"
        }
        var mismatches: [String] = []
        // Every day from 1960 to 2110 at 12:34:56, and the last and first second of each day.
        for day in stride(from: -3_653, to: 51_500, by: 1) {
            for second in [0.0, 45_296, 86_399.5] {
                let date = Date(timeIntervalSince1970: Double(day) * 86_400 + second)
                if TenantGate.month(of: date) != expected(date) { mismatches.append("\(date): \(TenantGate.month(of: date)) vs \(expected(date))") }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
        #expect(TenantGate.month(of: Date(timeIntervalSince1970: 1_796_083_200)) == "2026-12")  // 2026-12-01T00:00:00Z
        #expect(TenantGate.month(of: Date(timeIntervalSince1970: 1_796_083_199)) == "2026-11")
    }
}
