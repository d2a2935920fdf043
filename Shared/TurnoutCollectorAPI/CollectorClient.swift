import TurnoutTelemetry
import TurnoutWire

/// Calls the collector: metric reports and routing records from every service, summaries for tools.
public struct CollectorClient: Sendable {
    public let transport: any ClientTransport

    public init(_ transport: any ClientTransport) {
        self.transport = transport
    }

    /// Sends one cumulative metric snapshot.
    /// - Returns: false when the collector had already applied this or a later report.
    public func report(_ report: CollectorAPI.ReportRequest, deadline: Deadline? = nil) async throws(RPCError) -> Bool {
        try await transport.call(CollectorAPI.report, report, deadline: deadline).applied
    }

    /// Stores routing records; returns once they are on disk.
    /// - Throws: UNAVAILABLE when the collector could not commit them: send them again.
    public func store(_ records: [RoutingRecord], deadline: Deadline? = nil) async throws(RPCError) -> CollectorAPI.StoreResponse {
        try await transport.call(CollectorAPI.records, CollectorAPI.RecordsRequest(records: records), deadline: deadline)
    }

    /// Stores judged battles; returns once they are on disk.
    public func store(battles: [BattleRecord], deadline: Deadline? = nil) async throws(RPCError) -> CollectorAPI.StoreResponse {
        try await transport.call(CollectorAPI.battles, CollectorAPI.BattlesRequest(battles: battles), deadline: deadline)
    }

    /// Stores user ratings; returns once they are on disk.
    public func store(feedback: [FeedbackRecord], deadline: Deadline? = nil) async throws(RPCError) -> CollectorAPI.StoreResponse {
        try await transport.call(CollectorAPI.feedback, CollectorAPI.FeedbackRequest(feedback: feedback), deadline: deadline)
    }

    /// The pooled recent win rates of a router version (`CollectorAPI.winRates`).
    public func winRates(_ request: CollectorAPI.WinRatesRequest, deadline: Deadline? = nil) async throws(RPCError) -> CollectorAPI.WinRatesResponse {
        try await transport.call(CollectorAPI.winRates, request, deadline: deadline)
    }

    /// Spend since `fromMs`, in all and per tenant (`CollectorAPI.spend`).
    public func spend(fromMs: Int64, deadline: Deadline? = nil) async throws(RPCError) -> CollectorAPI.SpendResponse {
        try await transport.call(CollectorAPI.spend, CollectorAPI.SpendRequest(fromMs: fromMs), deadline: deadline)
    }

    public func summary(fromMs: Int64? = nil, toMs: Int64? = nil, deadline: Deadline? = nil) async throws(RPCError) -> Summary {
        try await transport.call(CollectorAPI.summary, CollectorAPI.SummaryRequest(fromMs: fromMs, toMs: toMs), deadline: deadline)
    }
}
