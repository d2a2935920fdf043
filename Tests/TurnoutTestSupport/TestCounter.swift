import Synchronization

/// A thread-safe counter that closures can capture, with a high-water mark.
public final class TestCounter: Sendable {
    private let current = Atomic<Int>(0)
    private let highest = Atomic<Int>(0)

    public init() {}

    public var value: Int { current.load(ordering: .relaxed) }
    public var peak: Int { highest.load(ordering: .relaxed) }

    @discardableResult
    public func increment() -> Int {
        let now = current.add(1, ordering: .relaxed).newValue
        var seen = highest.load(ordering: .relaxed)
        while now > seen, !highest.compareExchange(expected: seen, desired: now, ordering: .relaxed).exchanged {
            seen = highest.load(ordering: .relaxed)
        }
        return now
    }

    public func decrement() {
        current.subtract(1, ordering: .relaxed)
    }
}

/// A value behind a lock that escaping closures can capture.
public final class Locked<Value: Sendable>: Sendable {
    private let storage: Mutex<Value>

    public init(_ value: Value) {
        storage = Mutex(value)
    }

    public func withLock<T: Sendable>(_ body: (inout Value) -> T) -> T {
        storage.withLock { body(&$0) }
    }

    public var value: Value { storage.withLock { $0 } }
}
