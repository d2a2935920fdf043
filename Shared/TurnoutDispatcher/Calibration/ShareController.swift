import TurnoutTelemetry

/// Holds one router's share of strong calls at a target on the traffic it actually serves.
///
/// A threshold calibrated offline is a quantile of the training prompts' win rates; on other
/// traffic it gives another share. The controller takes the threshold as the quantile of the
/// recent win rates at one minus an aim, where the aim is the target corrected by how far the
/// realised share of the last decisions is from it: the quantile alone is right once the
/// window holds only the new traffic, the correction makes up for the requests in between
/// and for the window's sampling noise. The threshold starts from the artifact's calibrated
/// value, moves at most `maxStep` per update, and starts over when the artifact changes.
public struct ShareController: Sendable {
    public struct Settings: Sendable, Equatable {
        /// Win rates the quantile is taken over, the newest, and how old one may be. Short
        /// enough to follow a shift within a few hundred requests; the correction makes up
        /// for its sampling noise.
        public var window = 400
        public var maxAgeMs: Int64 = 3_600_000
        /// Decisions the realised share is measured over.
        public var shareWindow = 200
        /// Decisions between updates of the threshold.
        public var updateEvery = 20
        /// Largest move of the threshold per update, in win-rate units.
        public var maxStep = 0.02
        /// Win rates needed before the threshold leaves the artifact's value.
        public var minimumObservations = 200
        /// How strongly the aim corrects the realised share's error (1: by the whole error).
        /// A whole correction winds up after a shift, as the realised share lags: it
        /// overshot to 0.40 against a target of 0.30 in `turnout bench calibrate`.
        public var correction = 0.5

        public init() {}
    }

    /// The share held; lowered below what was asked while an hourly budget is exceeded.
    public private(set) var target: Double
    public let settings: Settings
    /// The artifact version the state belongs to.
    public private(set) var version: String?
    /// The threshold to route with; nil until the artifact's calibrated one is known.
    public private(set) var threshold: Double?
    private var winRates: RecentValues
    private var routes: [Bool] = []
    private var nextRoute = 0
    private var sinceUpdate = 0
    /// The win rates pooled over every dispatcher (`Collector/WinRates`), when fresher than nothing.
    private var pooled: (count: Int, quantiles: [Double])?

    public init(target: Double, settings: Settings = Settings()) {
        self.target = min(1, max(0, target))
        self.settings = settings
        winRates = RecentValues(capacity: settings.window, maxAgeMs: settings.maxAgeMs)
    }

    /// The share of strong calls among the last `shareWindow` decisions, or nil before any.
    public var realisedShare: Double? {
        routes.isEmpty ? nil : Double(routes.lazy.filter { $0 }.count) / Double(routes.count)
    }

    /// Records one scored request: its win rate, whether it went strong, the artifact version
    /// that scored it and the threshold the scorer used.
    public mutating func observe(winRate: Double, strong: Bool, version: String, threshold used: Double, nowMs: Int64) {
        if version != self.version {
            self = ShareController(target: target, settings: settings)
            self.version = version
        }
        if threshold == nil { threshold = used }
        winRates.append(winRate, atMs: nowMs)
        if routes.count < settings.shareWindow {
            routes.append(strong)
        } else {
            routes[nextRoute] = strong
            nextRoute = (nextRoute + 1) % settings.shareWindow
        }
        sinceUpdate += 1
        if sinceUpdate >= settings.updateEvery {
            sinceUpdate = 0
            update(nowMs: nowMs)
        }
    }

    /// Holds another share from now on (the budget lowering or restoring it).
    public mutating func retarget(_ share: Double) {
        target = min(1, max(0, share))
    }

    /// Takes the pooled win rates of this controller's artifact version.
    public mutating func usePooled(count: Int, quantiles: [Double], version: String) {
        guard version == self.version, quantiles.count > 1 else { return }
        pooled = (count, quantiles)
    }

    mutating func update(nowMs: Int64) {
        guard let current = threshold else { return }
        let local = winRates.count(nowMs: nowMs)
        let usePooled = (pooled?.count ?? 0) >= local
        guard max(local, pooled?.count ?? 0) >= settings.minimumObservations else { return }
        let realised = routes.count >= settings.shareWindow / 5 ? (realisedShare ?? target) : target
        let aim = min(1, max(0, target + settings.correction * (target - realised)))
        let desired: Double?
        if usePooled, let table = pooled?.quantiles {
            desired = RecentValues.interpolate(table, at: 1 - aim)
        } else {
            desired = winRates.quantiles([1 - aim], nowMs: nowMs)?.first
        }
        guard let desired else { return }
        threshold = min(1, max(0, current + min(settings.maxStep, max(-settings.maxStep, desired - current))))
    }
}
