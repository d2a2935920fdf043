import TurnoutWire

/// A record services send the collector, stored once per `id` however often it is resent:
/// what `RecordShipper` buffers and delivers.
public protocol CollectedRecord: Codable, Sendable {
    var id: String { get }
    /// The `kind` label of the shipping metrics: `routing`, `battle`, `feedback`.
    static var kind: String { get }
    /// A bound on the record's encoded size, so a batch stays inside the frame limit.
    var estimatedBytes: Int { get }
    /// Sends a batch to the collector, returning once it is committed.
    static func store(_ records: [Self], in collector: CollectorClient) async throws(RPCError)
}

/// JSON escapes a control character in six bytes (`\u0001`): the worst case of free text.
private func escapedBound(_ text: String?) -> Int { 6 * (text?.utf8.count ?? 0) }

extension RoutingRecord: CollectedRecord {
    public static let kind = "routing"
    public var estimatedBytes: Int { 2048 }

    public static func store(_ records: [RoutingRecord], in collector: CollectorClient) async throws(RPCError) {
        _ = try await collector.store(records)
    }
}

extension BattleRecord: CollectedRecord {
    public static let kind = "battle"
    public var estimatedBytes: Int { 1024 + escapedBound(prompt) }

    public static func store(_ records: [BattleRecord], in collector: CollectorClient) async throws(RPCError) {
        _ = try await collector.store(battles: records)
    }
}

extension FeedbackRecord: CollectedRecord {
    public static let kind = "feedback"
    public var estimatedBytes: Int { 1024 + escapedBound(prompt) + escapedBound(comment) }

    public static func store(_ records: [FeedbackRecord], in collector: CollectorClient) async throws(RPCError) {
        _ = try await collector.store(feedback: records)
    }
}
