import Synchronization

/// Keeps lines in memory, for tests.
public final class MemoryLogSink: LogSink {
    private let lines = Mutex<[String]>([])

    public init() {}

    public func write(_ line: String) {
        lines.withLock { $0.append(line) }
    }

    public var recorded: [String] {
        lines.withLock { $0 }
    }
}
