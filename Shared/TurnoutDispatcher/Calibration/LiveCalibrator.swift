import Foundation
import Synchronization
import TurnoutCollectorAPI
import TurnoutTelemetry
import TurnoutWire

/// The dispatcher's live thresholds: one `ShareController` per router and target share, fed
/// by every scored request, and the win rates pooled over all dispatchers through the
/// collector (docs/dispatcher.md, "Live calibration").
public final class LiveCalibrator: Sendable {
    /// Targets held per router; further ones are routed on the artifact's calibration alone,
    /// so a client inventing shares cannot grow the state or the metrics without bound.
    public static let maxTargetsPerRouter = 8

    private struct Key: Hashable {
        var router: String
        /// Thousandths of the target share.
        var target: Int
    }

    private struct Entry {
        var controller: ShareController
        let targetGauge: Gauge
        let realisedGauge: Gauge
        let thresholdGauge: Gauge
    }

    private let entries = Mutex<[Key: Entry]>([:])
    private let settings: ShareController.Settings
    private let metrics: MetricsRegistry
    private let collector: CollectorClient?

    public init(settings: ShareController.Settings = .init(), collector: CollectorClient?, metrics: MetricsRegistry) {
        self.settings = settings
        self.collector = collector
        self.metrics = metrics
    }

    /// Whether `target` is held live: the ends (nothing or everything strong) need no calibration.
    public static func holds(_ target: Double) -> Bool { target > 0 && target < 1 }

    private static func key(_ router: String, _ target: Double) -> Key {
        Key(router: router, target: Int((target * 1000).rounded()))
    }

    /// The threshold to route `router` with at `target`, or nil while the artifact's own
    /// calibrated threshold is still to be learnt from the scorer.
    public func threshold(router: String, target: Double) -> Double? {
        guard Self.holds(target) else { return nil }
        return entries.withLock { $0[Self.key(router, target)]?.controller.threshold }
    }

    /// Records a scored request asked at `target` and held at `effective` (lower while the
    /// hourly budget is exceeded; by default the same).
    public func observe(router: String, target: Double, effective: Double? = nil, winRate: Double, strong: Bool, version: String, threshold: Double) {
        guard Self.holds(target) else { return }
        let key = Self.key(router, target)
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        entries.withLock { entries in
            if entries[key] == nil {
                guard entries.keys.filter({ $0.router == router }).count < Self.maxTargetsPerRouter else { return }
                let labels = ["router": router, "target": String(format: "%.3f", Double(key.target) / 1000)]
                entries[key] = Entry(
                    controller: ShareController(target: Double(key.target) / 1000, settings: settings),
                    targetGauge: metrics.gauge("turnout_dispatcher_calibration_target_share", help: "Share of strong calls live calibration aims at.", labels: labels),
                    realisedGauge: metrics.gauge("turnout_dispatcher_calibration_realised_share", help: "Share of strong calls among this dispatcher's last decisions at the target.", labels: labels),
                    thresholdGauge: metrics.gauge("turnout_dispatcher_calibration_threshold", help: "The live threshold on the win rate.", labels: labels))
            }
            guard var entry = entries[key] else { return }
            entry.controller.retarget(effective ?? Double(key.target) / 1000)
            entry.controller.observe(winRate: winRate, strong: strong, version: version, threshold: threshold, nowMs: now)
            entry.targetGauge.set(entry.controller.target)
            entry.realisedGauge.set(entry.controller.realisedShare ?? 0)
            entry.thresholdGauge.set(entry.controller.threshold ?? threshold)
            entries[key] = entry
        }
    }

    /// Asks the collector for each held router version's pooled win rates; without a
    /// collector, or while it is away, each dispatcher calibrates on its own traffic.
    public func refreshPooled(deadline: Duration = .seconds(1)) async {
        guard let collector else { return }
        let wanted = entries.withLock { entries in entries.compactMap { key, entry in entry.controller.version.map { (key, $0) } } }
        for (key, version) in wanted {
            let request = CollectorAPI.WinRatesRequest(router: key.router, version: version, window: settings.window, maxAgeMs: settings.maxAgeMs)
            guard let pooled = try? await collector.winRates(request, deadline: .after(deadline)) else { continue }
            entries.withLock { entries in
                entries[key]?.controller.usePooled(count: pooled.count, quantiles: pooled.quantiles, version: version)
            }
        }
    }
}
