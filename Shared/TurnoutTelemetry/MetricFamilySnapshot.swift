/// A family's series at one moment; what services send to the collector.
public struct MetricFamilySnapshot: Sendable, Codable, Equatable {
    public var name: String
    public var help: String
    public var kind: MetricsRegistry.Kind
    /// Upper bounds, for histograms.
    public var buckets: [Double]?
    public var samples: [MetricSample]

    public init(name: String, help: String, kind: MetricsRegistry.Kind, buckets: [Double]?, samples: [MetricSample]) {
        self.name = name
        self.help = help
        self.kind = kind
        self.buckets = buckets
        self.samples = samples
    }
}
