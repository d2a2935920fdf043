import TurnoutTelemetry

/// How long a routed request waits for an upstream's response head before trying the other
/// model too (`UpstreamCaller.hedged`), learnt from how long that upstream has been taking.
///
/// A fixed first-byte timeout is set for the slowest answer anyone expects (30 s); an upstream
/// that hangs makes every routed request wait all of it before falling back, while the other
/// model is healthy. Instead the wait is three times the p95 of the last 200 heads (streamed
/// and whole answers apart: a whole answer's head comes after the whole generation), at least
/// `floor` and at most the configured `first_byte_timeout`; until 20 heads have been seen, the
/// configured timeout. Pass-through requests, which have nowhere else to go, keep the
/// configured timeout. Read on every routed request, so the p95 is recomputed at most every
/// 50 ms (`RecentQuantile`).
public final class FirstByteDeadline: Sendable {
    public static let multiplier = 3.0
    public static let window = 200
    public static let minimumSamples = 20

    private let stream = RecentQuantile(quantile: 0.95, capacity: window, maxAgeMs: 600_000, minimumSamples: minimumSamples)
    private let whole = RecentQuantile(quantile: 0.95, capacity: window, maxAgeMs: 600_000, minimumSamples: minimumSamples)
    public let floor: Duration

    public init(floor: Duration = .seconds(1)) {
        self.floor = floor
    }

    /// Records the time to a response head that came.
    public func record(_ milliseconds: Double, stream isStream: Bool, nowMs: Int64) {
        (isStream ? stream : whole).record(milliseconds, nowMs: nowMs)
    }

    /// The wait for a head before falling back, within `ceiling` (the configured timeout).
    public func deadline(stream isStream: Bool, ceiling: Duration, nowMs: Int64) -> Duration {
        guard let p95 = (isStream ? stream : whole).value(nowMs: nowMs) else { return ceiling }
        let learnt = Duration.milliseconds(Int64((p95 * Self.multiplier).rounded(.up)))
        return min(ceiling, max(floor, learnt))
    }
}
