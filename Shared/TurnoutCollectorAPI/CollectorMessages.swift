import TurnoutTelemetry

extension CollectorAPI {
    public struct ReportRequest: Codable, Sendable {
        public var service: String
        public var instance: String
        /// Random per process start: a restarted instance numbers its reports from 1 again.
        public var epoch: String
        /// Increases by one per report within an epoch; older or repeated numbers are ignored.
        public var sequence: UInt64
        public var families: [MetricFamilySnapshot]

        public init(service: String, instance: String, epoch: String, sequence: UInt64, families: [MetricFamilySnapshot]) {
            self.service = service
            self.instance = instance
            self.epoch = epoch
            self.sequence = sequence
            self.families = families
        }
    }

    public struct ReportResponse: Codable, Sendable {
        /// False when the report was a duplicate or older than one already applied.
        public var applied: Bool

        public init(applied: Bool) {
            self.applied = applied
        }
    }

    public struct RecordsRequest: Codable, Sendable {
        public var records: [RoutingRecord]

        public init(records: [RoutingRecord]) {
            self.records = records
        }
    }

    public struct BattlesRequest: Codable, Sendable {
        public var battles: [BattleRecord]

        public init(battles: [BattleRecord]) {
            self.battles = battles
        }
    }

    public struct FeedbackRequest: Codable, Sendable {
        public var feedback: [FeedbackRecord]

        public init(feedback: [FeedbackRecord]) {
            self.feedback = feedback
        }
    }

    /// What a store method answers, only after the batch is committed to disk.
    public struct StoreResponse: Codable, Sendable {
        /// Records newly stored; `received - stored` were already there.
        public var stored: Int
        public var received: Int

        public init(stored: Int, received: Int) {
            self.stored = stored
            self.received = received
        }
    }

    /// One router version's recent win rates: the newest `window` routed requests no older
    /// than `maxAgeMs`.
    public struct WinRatesRequest: Codable, Sendable, Equatable {
        public var router: String
        public var version: String
        public var window: Int
        public var maxAgeMs: Int64

        public init(router: String, version: String, window: Int, maxAgeMs: Int64) {
            self.router = router
            self.version = version
            self.window = window
            self.maxAgeMs = maxAgeMs
        }

        enum CodingKeys: String, CodingKey {
            case router, version, window
            case maxAgeMs = "max_age_ms"
        }
    }

    /// `quantiles[i]` is the win rate at quantile i / (quantiles.count - 1) of `count` win
    /// rates; empty when there are none.
    public struct WinRatesResponse: Codable, Sendable, Equatable {
        public var count: Int
        public var quantiles: [Double]

        public init(count: Int, quantiles: [Double]) {
            self.count = count
            self.quantiles = quantiles
        }
    }

    /// Spend from `fromMs` on (`Collector/Spend`).
    public struct SpendRequest: Codable, Sendable, Equatable {
        public var fromMs: Int64

        public init(fromMs: Int64) {
            self.fromMs = fromMs
        }

        enum CodingKeys: String, CodingKey {
            case fromMs = "from_ms"
        }
    }

    /// US dollars spent: by every request, and by each named tenant's.
    public struct SpendResponse: Codable, Sendable, Equatable {
        public var totalUSD: Double
        public var tenants: [String: Double]

        public init(totalUSD: Double, tenants: [String: Double]) {
            self.totalUSD = totalUSD
            self.tenants = tenants
        }

        enum CodingKeys: String, CodingKey {
            case totalUSD = "total_usd"
            case tenants
        }
    }

    /// A time window; both ends optional, in Unix milliseconds.
    public struct SummaryRequest: Codable, Sendable {
        public var fromMs: Int64?
        public var toMs: Int64?

        enum CodingKeys: String, CodingKey {
            case fromMs = "from_ms"
            case toMs = "to_ms"
        }

        public init(fromMs: Int64? = nil, toMs: Int64? = nil) {
            self.fromMs = fromMs
            self.toMs = toMs
        }
    }
}
