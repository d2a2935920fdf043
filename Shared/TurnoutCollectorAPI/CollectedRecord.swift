import TurnoutWire

/// A record services send the collector, stored once per `id` however often it is resent:
/// what `RecordShipper` buffers and delivers.
public protocol CollectedRecord: Codable, Sendable {
    var id: String { get }
    /// The `kind` label of the shipping metrics: `routing`, `battle`, `feedback`.
    static var kind: String { get }
    /// Sends a batch to the collector, returning once it is committed.
    static func store(_ records: [Self], in collector: CollectorClient) async throws(RPCError)
}

extension RoutingRecord: CollectedRecord {
    public static let kind = "routing"

    public static func store(_ records: [RoutingRecord], in collector: CollectorClient) async throws(RPCError) {
        _ = try await collector.store(records)
    }
}

extension BattleRecord: CollectedRecord {
    public static let kind = "battle"

    public static func store(_ records: [BattleRecord], in collector: CollectorClient) async throws(RPCError) {
        _ = try await collector.store(battles: records)
    }
}

extension FeedbackRecord: CollectedRecord {
    public static let kind = "feedback"

    public static func store(_ records: [FeedbackRecord], in collector: CollectorClient) async throws(RPCError) {
        _ = try await collector.store(feedback: records)
    }
}
