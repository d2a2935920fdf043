
/// Polls `condition` every 5 ms until it holds; throws after `timeout`.
/// Tests wait on what they observe, never on a fixed sleep.
public func waitUntil(timeout: Duration = .seconds(30), _ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        guard ContinuousClock.now < deadline else { throw RawError("condition not met within \(timeout)") }
        try await Task.sleep(for: .milliseconds(5))
    }
}
