import Synchronization

/// One taken concurrency slot; releasing it twice is harmless.
public final class UpstreamSlot: Sendable {
    private let limiter: ConcurrencyLimiter
    private let released = Atomic<Bool>(false)

    init(_ limiter: ConcurrencyLimiter) {
        self.limiter = limiter
    }

    public func release() {
        if !released.exchange(true, ordering: .acquiringAndReleasing) { limiter.release() }
    }

    deinit {
        release()
    }
}
