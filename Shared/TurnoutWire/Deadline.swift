import Dispatch

/// A point on the monotonic clock by which a call must finish.
///
/// The wire carries deadlines as a relative `deadline_ms` so clocks never need to agree;
/// each hop turns it into an absolute `Deadline` on arrival and sends on what is left.
public struct Deadline: Sendable, Hashable, Comparable {
    /// Nanoseconds on the monotonic clock (`CLOCK_MONOTONIC`).
    public let uptimeNanoseconds: UInt64

    public init(uptimeNanoseconds: UInt64) {
        self.uptimeNanoseconds = uptimeNanoseconds
    }

    public static func now() -> Deadline {
        Deadline(uptimeNanoseconds: DispatchTime.now().uptimeNanoseconds)
    }

    /// A deadline `milliseconds` from now; negative or zero values give a deadline that has passed.
    public static func after(milliseconds: Double) -> Deadline {
        let now = DispatchTime.now().uptimeNanoseconds
        guard milliseconds > 0 else { return Deadline(uptimeNanoseconds: now) }
        let delta = min(milliseconds * 1_000_000, Double(UInt64.max / 4))
        return Deadline(uptimeNanoseconds: now &+ UInt64(delta))
    }

    public static func after(_ duration: Duration) -> Deadline {
        after(milliseconds: duration.seconds * 1000)
    }

    /// Milliseconds left, rounded up so a deadline with any time left never reads as zero.
    public var remainingMilliseconds: Int64 {
        let now = DispatchTime.now().uptimeNanoseconds
        guard uptimeNanoseconds > now else { return 0 }
        return Int64((uptimeNanoseconds - now + 999_999) / 1_000_000)
    }

    public var remainingNanoseconds: UInt64 {
        let now = DispatchTime.now().uptimeNanoseconds
        return uptimeNanoseconds > now ? uptimeNanoseconds - now : 0
    }

    public var hasPassed: Bool {
        DispatchTime.now().uptimeNanoseconds >= uptimeNanoseconds
    }

    public static func < (lhs: Deadline, rhs: Deadline) -> Bool {
        lhs.uptimeNanoseconds < rhs.uptimeNanoseconds
    }
}

extension Duration {
    /// Whole nanoseconds, clamped at zero: what monotonic-clock arithmetic needs.
    public var nanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        return UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000)
    }

    /// Whole milliseconds (truncated), for logs and wire fields.
    public var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    /// Seconds as a `Double`, for rates and timers.
    public var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
