
/// Polls `condition` every 5 ms until it holds; throws after `timeout`.
/// Tests wait on what they observe, never on a fixed sleep.
public func waitUntil(timeout: Duration = .seconds(30), _ condition: () -> Bool) async throws {
    try await waitUntil(timeout: timeout, every: .milliseconds(5)) { condition() }
}

/// The same for a condition that must itself wait (an HTTP scrape, a remote call).
public func waitUntil(timeout: Duration = .seconds(30), every interval: Duration = .milliseconds(50), _ condition: () async -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while await !condition() {
        guard ContinuousClock.now < deadline else { throw RawError("condition not met within \(timeout)") }
        try await Task.sleep(for: interval)
    }
}
