import Dispatch
import Synchronization
import TurnoutCollectorAPI
import TurnoutTelemetry
import TurnoutWire

/// The latest metric snapshot of every reporting instance, in memory.
///
/// Reports carry cumulative values, so the newest one per instance is all that is kept.
/// The sequence number orders reports within a process's life (its epoch): a resent or
/// delayed older report never overwrites a newer one. An instance silent for `staleAfter`
/// drops out of the exposition, so scaled-down replicas do not linger as flat lines.
public final class MetricsStore: Sendable {
    private struct Instance {
        var service: String
        var instance: String
        var epoch: String
        var sequence: UInt64
        var lastSeen: UInt64
        var families: [MetricFamilySnapshot]
    }

    public let staleAfter: Duration
    private let instances = Mutex<[String: Instance]>([:])

    public init(staleAfter: Duration = .seconds(60)) {
        self.staleAfter = staleAfter
    }

    /// Applies a report; false when it is a duplicate or older than what is held.
    public func apply(_ report: CollectorAPI.ReportRequest) -> Bool {
        let key = "\(report.service)\u{1}\(report.instance)"
        let now = DispatchTime.now().uptimeNanoseconds
        return instances.withLock { instances in
            if let existing = instances[key], existing.epoch == report.epoch, report.sequence <= existing.sequence {
                return false
            }
            instances[key] = Instance(service: report.service, instance: report.instance, epoch: report.epoch,
                                      sequence: report.sequence, lastSeen: now, families: report.families)
            return true
        }
    }

    /// Live instances as `(labels, families)`, stale ones removed.
    public func live() -> [(extraLabels: [String: String], families: [MetricFamilySnapshot])] {
        let now = DispatchTime.now().uptimeNanoseconds
        let limit = staleAfter.nanoseconds
        return instances.withLock { instances in
            instances = instances.filter { now &- $0.value.lastSeen <= limit }
            return instances.keys.sorted().compactMap { key in
                guard let instance = instances[key] else { return nil }
                return (["service": instance.service, "instance": instance.instance], instance.families)
            }
        }
    }
}
