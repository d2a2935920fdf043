import TurnoutWire

/// The collector's wire methods, shared by every service that reports to it. Their messages
/// are in `CollectorMessages.swift`; `CollectorClient` calls them.
public enum CollectorAPI {
    /// A service's metric snapshot. Idempotent: a resent report carries the same sequence number.
    public static let report = RPCMethod<ReportRequest, ReportResponse>(service: "Metrics", method: "Report", idempotent: true)
    /// A batch of routing records, answered once committed to disk. Idempotent: records are keyed by id.
    public static let records = RPCMethod<RecordsRequest, StoreResponse>(service: "Metrics", method: "Records", idempotent: true)
    /// A batch of judged battles, answered once committed. Idempotent: battles are keyed by id.
    public static let battles = RPCMethod<BattlesRequest, StoreResponse>(service: "Metrics", method: "Battles", idempotent: true)
    /// A batch of user ratings, answered once committed. Idempotent: one rating per request id.
    public static let feedback = RPCMethod<FeedbackRequest, StoreResponse>(service: "Metrics", method: "Feedback", idempotent: true)
    /// The recent win rates of one router version, pooled over every dispatcher that reports
    /// routing records, as a table of quantiles: what live calibration holds the strong share on.
    public static let winRates = RPCMethod<WinRatesRequest, WinRatesResponse>(service: "Collector", method: "WinRates", idempotent: true)
    /// What requests have cost since a moment, in all and per tenant: the spend budgets are
    /// held to across every dispatcher.
    public static let spend = RPCMethod<SpendRequest, SpendResponse>(service: "Collector", method: "Spend", idempotent: true)
    /// Traffic, strong share, cost and latency over a time window.
    public static let summary = RPCMethod<SummaryRequest, Summary>(service: "Collector", method: "Summary", idempotent: true)
}
