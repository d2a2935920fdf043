import Synchronization

/// The metrics of one process, by family name and label values.
///
/// Looking a series up takes a lock, so hot paths look theirs up once and keep the handle
/// (`Counter`, `Gauge`, `Histogram`); updating a handle never locks. Label values must come
/// from small closed sets (method, status code, model, router), never from prompts or users.
public final class MetricsRegistry: Sendable {
    public enum Kind: String, Sendable, Codable {
        case counter, gauge, histogram
    }

    private struct Family {
        let name: String
        let help: String
        let kind: Kind
        let labelNames: [String]
        let buckets: [Double]
        var series: [[String]: AnyObject & Sendable] = [:]
    }

    private let families = Mutex<[String: Family]>([:])

    public init() {}

    public func counter(_ name: String, help: String, labels: [String: String] = [:]) -> Counter {
        series(name, help: help, kind: .counter, labels: labels, buckets: []) { Counter() }
    }

    public func gauge(_ name: String, help: String, labels: [String: String] = [:]) -> Gauge {
        series(name, help: help, kind: .gauge, labels: labels, buckets: []) { Gauge() }
    }

    public func histogram(_ name: String, help: String, labels: [String: String] = [:], buckets: [Double] = Histogram.latencyBuckets) -> Histogram {
        series(name, help: help, kind: .histogram, labels: labels, buckets: buckets) { Histogram(upperBounds: buckets) }
    }

    private func series<T: AnyObject & Sendable>(_ name: String, help: String, kind: Kind, labels: [String: String], buckets: [Double], make: () -> T) -> T {
        let labelNames = labels.keys.sorted()
        let values = labelNames.map { labels[$0] ?? "" }
        return families.withLock { families in
            var family = families[name] ?? Family(name: name, help: help, kind: kind, labelNames: labelNames, buckets: buckets.sorted())
            // A name registered twice with another kind or label set is a programming error;
            // serve a detached series rather than corrupt the exposition.
            guard family.kind == kind, family.labelNames == labelNames else { return make() }
            if let existing = family.series[values] as? T { return existing }
            let created = make()
            family.series[values] = created
            families[name] = family
            return created
        }
    }

    /// Every series' current value, families sorted by name and series by label values.
    public func snapshot() -> [MetricFamilySnapshot] {
        families.withLock { families in
            families.values.sorted { $0.name < $1.name }.map { family in
                let samples = family.series.keys.sorted { $0.lexicographicallyPrecedes($1) }.compactMap { values -> MetricSample? in
                    let labels = Dictionary(uniqueKeysWithValues: zip(family.labelNames, values))
                    switch family.series[values] {
                    case let counter as Counter: return MetricSample(labels: labels, value: counter.value)
                    case let gauge as Gauge: return MetricSample(labels: labels, value: gauge.value)
                    case let histogram as Histogram:
                        let state = histogram.state
                        return MetricSample(labels: labels, value: state.sum, count: state.count, bucketCounts: state.counts)
                    default: return nil
                    }
                }
                return MetricFamilySnapshot(name: family.name, help: family.help, kind: family.kind, buckets: family.kind == .histogram ? family.buckets : nil, samples: samples)
            }
        }
    }
}
