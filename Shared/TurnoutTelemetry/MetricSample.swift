/// One series: for counters and gauges `value`; for histograms `value` is the sum,
/// `count` the number of observations and `bucketCounts` the per-bucket (non-cumulative) counts.
public struct MetricSample: Sendable, Codable, Equatable {
    public var labels: [String: String]
    public var value: Double
    public var count: UInt64?
    public var bucketCounts: [UInt64]?

    enum CodingKeys: String, CodingKey {
        case labels, value, count
        case bucketCounts = "bucket_counts"
    }

    public init(labels: [String: String], value: Double, count: UInt64? = nil, bucketCounts: [UInt64]? = nil) {
        self.labels = labels
        self.value = value
        self.count = count
        self.bucketCounts = bucketCounts
    }
}
