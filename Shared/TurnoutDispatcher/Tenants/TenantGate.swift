import Foundation
import Synchronization
import TurnoutCollectorAPI
import TurnoutTelemetry

/// Holds each tenant to its rate limit and monthly budget before a request costs anything,
/// and the whole deployment to `budget_usd_per_hour` by lowering share targets.
///
/// The rate limit is a token bucket per dispatcher: `rpm / 60` tokens a second, holding at
/// most ten seconds' worth (at least one), so a burst is bounded and a steady client is never
/// refused. Budgets are checked against the month's spend pooled over every dispatcher (the
/// collector's `Collector/Spend`, asked every 10 s) plus what this dispatcher has spent since
/// it last asked; without a collector, against this dispatcher's own spend this month.
public final class TenantGate: Sendable {
    public enum Refusal: Equatable, Sendable {
        /// Over the rate limit: try again after this many seconds.
        case rateLimited(retryAfter: Int)
        case overBudget(spentUSD: Double, budgetUSD: Double)
    }

    private struct Bucket {
        var tokens: Double
        var updated: Double
    }

    private struct State {
        var buckets: [String: Bucket] = [:]
        /// Month-to-date spend the collector reported, and the month it is for.
        var pooled: [String: Double] = [:]
        var pooledMonth = ""
        /// Spent here since the pooled figures were read.
        var local: [String: Double] = [:]
        var localMonth = ""
        /// Every request's spend over the last hour, pooled, as last read.
        var lastHourUSD: Double?
        /// What share targets are multiplied by to keep the hourly budget (1: untouched).
        var shareScale = 1.0
    }

    private let state = Mutex(State())
    private let collector: CollectorClient?
    private let clock: @Sendable () -> Date
    private let refusals: [String: [String: Counter]]
    private let spend: [String: Counter]
    private let requests: [String: Counter]
    private let hourlyBudget: Double?
    /// This dispatcher's own spend over the last hour, when the collector cannot say.
    private let window: SpendWindow
    private let scaleGauge: Gauge

    public init(tenants: [Tenant], hourlyBudgetUSD: Double? = nil, collector: CollectorClient?, metrics: MetricsRegistry,
                clock: @escaping @Sendable () -> Date = Date.init) {
        self.collector = collector
        self.clock = clock
        hourlyBudget = hourlyBudgetUSD
        window = SpendWindow { Int64(clock().timeIntervalSince1970 * 1000) }
        scaleGauge = metrics.gauge("turnout_dispatcher_budget_share_scale", help: "What share targets are multiplied by to keep budget_usd_per_hour (1: untouched).")
        scaleGauge.set(1)
        if let hourlyBudgetUSD {
            metrics.gauge("turnout_dispatcher_budget_usd_per_hour", help: "The configured budget_usd_per_hour, for the budget-burn alert.").set(hourlyBudgetUSD)
        }
        var refusals: [String: [String: Counter]] = [:]
        var spend: [String: Counter] = [:]
        var requests: [String: Counter] = [:]
        for tenant in tenants {
            for reason in ["rate_limit", "budget"] {
                refusals[tenant.name, default: [:]][reason] = metrics.counter("turnout_dispatcher_tenant_refusals_total", help: "Requests refused for a tenant's rate limit or budget.",
                                                                              labels: ["tenant": tenant.name, "reason": reason])
            }
            requests[tenant.name] = metrics.counter("turnout_dispatcher_tenant_requests_total", help: "A tenant's chat completions, refused ones included.", labels: ["tenant": tenant.name])
            spend[tenant.name] = metrics.counter("turnout_dispatcher_tenant_cost_usd_total", help: "What a tenant's requests cost, in US dollars.", labels: ["tenant": tenant.name])
        }
        self.refusals = refusals
        self.spend = spend
        self.requests = requests
    }

    /// The UTC month `date` falls in, as "2026-12" ("2027-1" for January). Every request asks
    /// (`admit` and `spent`), so it is days-to-civil arithmetic (Howard Hinnant's) rather than
    /// a Calendar and a TimeZone built per call, which took microseconds of a routed
    /// request's CPU.
    static func month(of date: Date) -> String {
        let days = Int((date.timeIntervalSince1970 / 86_400).rounded(.down)) + 719_468
        let era = (days >= 0 ? days : days - 146_096) / 146_097
        let dayOfEra = days - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shifted = (5 * dayOfYear + 2) / 153
        let month = shifted < 10 ? shifted + 3 : shifted - 9
        return "\(yearOfEra + era * 400 + (month <= 2 ? 1 : 0))-\(month)"
    }

    static func startOfMonth(_ date: Date) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .gmt
        return calendar.date(from: calendar.dateComponents([.year, .month], from: date)) ?? date
    }

    /// Admits one request of `tenant`, taking a token; or says why not.
    public func admit(_ tenant: Tenant) -> Refusal? {
        let now = clock()
        let seconds = now.timeIntervalSince1970
        let month = Self.month(of: now)
        let refusal: Refusal? = state.withLock { state in
            if let budget = tenant.monthlyBudgetUSD {
                let spent = (state.pooledMonth == month ? state.pooled[tenant.name] ?? 0 : 0) + (state.localMonth == month ? state.local[tenant.name] ?? 0 : 0)
                if spent >= budget { return .overBudget(spentUSD: spent, budgetUSD: budget) }
            }
            guard let rpm = tenant.requestsPerMinute else { return nil }
            let rate = rpm / 60, capacity = max(1, rate * 10)
            var bucket = state.buckets[tenant.name] ?? Bucket(tokens: capacity, updated: seconds)
            bucket.tokens = min(capacity, bucket.tokens + (seconds - bucket.updated) * rate)
            bucket.updated = seconds
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                state.buckets[tenant.name] = bucket
                return nil
            }
            state.buckets[tenant.name] = bucket
            return .rateLimited(retryAfter: max(1, Int(((1 - bucket.tokens) / rate).rounded(.up))))
        }
        if let refusal {
            refusals[tenant.name]?[refusal.reason]?.increment()
        }
        return refusal
    }

    /// Counts a finished request and adds what it cost, to its tenant's spend if it has one.
    public func spent(_ usd: Double, by tenant: String?) {
        if let tenant { requests[tenant]?.increment() }
        guard usd > 0 else { return }
        window.record(usd)
        guard let tenant else { return }
        spend[tenant]?.increment(by: usd)
        let month = Self.month(of: clock())
        state.withLock { state in
            if state.localMonth != month {
                state.local = [:]
                state.localMonth = month
            }
            state.local[tenant, default: 0] += usd
        }
    }

    /// The last hour's spend over every dispatcher, as last read; nil before the collector answered.
    public var lastHourUSD: Double? { state.withLock { $0.lastHourUSD } }

    /// What share targets are multiplied by: below 1 while the hourly budget is exceeded.
    public var shareScale: Double { state.withLock { $0.shareScale } }

    /// Reads the pooled spend (this month's per tenant, the last hour's in all) and moves the
    /// share scale by the ratio of the hourly budget to the last hour's spend: down while
    /// over it, back up to 1 while under.
    public func refresh(deadline: Duration = .seconds(2)) async {
        await readPooled(deadline: deadline)
        guard let budget = hourlyBudget else { return }
        let local = window.lastHour
        let scale = state.withLock { state in
            let spent = max(state.lastHourUSD ?? local, local)
            state.shareScale = spent > 0 ? min(1, max(0.01, state.shareScale * budget / spent)) : 1
            return state.shareScale
        }
        scaleGauge.set(scale)
    }

    private func readPooled(deadline: Duration) async {
        guard let collector else { return }
        let now = clock()
        guard let month = try? await collector.spend(fromMs: Int64(Self.startOfMonth(now).timeIntervalSince1970 * 1000), deadline: .after(deadline)),
              let hour = try? await collector.spend(fromMs: Int64((now.timeIntervalSince1970 - 3600) * 1000), deadline: .after(deadline)) else { return }
        let name = Self.month(of: now)
        state.withLock { state in
            state.pooled = month.tenants
            state.pooledMonth = name
            // What this dispatcher spent is in the pooled figures once its records are stored;
            // what is still on its way (a second or two of spend) is missed until the next read.
            state.local = [:]
            state.localMonth = name
            state.lastHourUSD = hour.totalUSD
        }
    }
}

extension TenantGate.Refusal {
    var reason: String {
        switch self {
        case .rateLimited: "rate_limit"
        case .overBudget: "budget"
        }
    }

    /// OpenAI's answers: 429 `rate_limit_exceeded` with Retry-After, or 429 `insufficient_quota`.
    public func error(tenant: String) -> OpenAIError {
        switch self {
        case let .rateLimited(retryAfter):
            OpenAIError(status: 429, message: "Rate limit reached for tenant \(tenant): try again in \(retryAfter) s.", type: "requests",
                        code: "rate_limit_exceeded", retryAfter: String(retryAfter))
        case let .overBudget(spent, budget):
            OpenAIError(status: 429, message: String(format: "You exceeded your current quota: tenant %@ has spent $%.2f of its $%.2f monthly budget.", tenant, spent, budget),
                        type: "insufficient_quota", code: "insufficient_quota")
        }
    }
}
