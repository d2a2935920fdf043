import Dispatch
import Foundation
import Synchronization

/// Delivers POSIX signals as an async stream, through Dispatch sources rather than handlers,
/// so the code that reacts may allocate, lock and log.
public final class SignalListener: Sendable {
    public let stream: AsyncStream<Int32>
    private let sources: Mutex<[any DispatchSourceSignal]>

    public init(signals: [Int32]) {
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        self.stream = stream
        var sources: [any DispatchSourceSignal] = []
        for number in signals {
            // The default action must be off, or the process dies before the source fires.
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            sources.append(source)
        }
        self.sources = Mutex(sources)
    }

    deinit {
        sources.withLock { $0.forEach { $0.cancel() } }
    }
}
