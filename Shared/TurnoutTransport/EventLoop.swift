import CTurnoutSystem
import Dispatch
import Foundation
import Synchronization

/// Something that reacts to readiness of one file descriptor. Called on its loop's thread only.
public protocol Selectable: AnyObject {
    func handleEvents(_ events: UInt32)
}

/// One thread blocked in `epoll_wait`, serving many sockets.
///
/// It has its own thread rather than a task because `epoll_wait` blocks and must never hold
/// a thread of Swift's cooperative pool. Other threads hand it work with `execute`, which
/// wakes it through an eventfd; wake-ups are coalesced so a burst costs one write.
public final class EventLoop: @unchecked Sendable {
    // @unchecked Sendable: `handlers` and `timers` are touched only on the loop thread
    // (every public mutator says so); cross-thread state is in Mutex and Atomic.
    private let epollFD: Int32
    private let wakeFD: Int32
    private var handlers: [Int32: any Selectable] = [:]
    private var timers = TimerQueue()
    private let queue = Mutex<[@Sendable () -> Void]>([])
    private let wakeRequested = Atomic<Bool>(false)
    private let running = Atomic<Bool>(false)
    private let threadID = Mutex<pthread_t?>(nil)
    private let finished = DispatchSemaphore(value: 0)
    public let name: String
    /// Scratch space for `read(2)`, shared by every connection on this loop (loop thread only).
    let readScratch = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 64 * 1024)

    /// - Throws: `TransportError` when the kernel refuses an epoll or eventfd descriptor.
    public init(name: String) throws(TransportError) {
        self.name = name
        let epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epollFD >= 0 else { throw TransportError.system("epoll_create1", errno: errno) }
        let wakeFD = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        guard wakeFD >= 0 else {
            close(epollFD)
            throw TransportError.system("eventfd", errno: errno)
        }
        self.epollFD = epollFD
        self.wakeFD = wakeFD
        var event = epoll_event(events: EPOLLIN.rawValue, data: epoll_data_t(fd: wakeFD))
        epoll_ctl(epollFD, EPOLL_CTL_ADD, wakeFD, &event)
    }

    deinit {
        readScratch.deallocate()
        close(wakeFD)
        close(epollFD)
    }

    /// Starts the loop's thread.
    public func start() {
        guard !running.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let thread = Thread { [self] in
            threadID.withLock { $0 = pthread_self() }
            run()
            finished.signal()
        }
        thread.name = name
        thread.stackSize = 1 << 20
        thread.start()
        while threadID.withLock({ $0 == nil }) { sched_yield() }
    }

    /// Stops the loop after the work queued so far, and waits for its thread to end.
    public func stop() {
        guard running.load(ordering: .acquiring) else { return }
        execute { [self] in running.store(false, ordering: .releasing) }
        if !inEventLoop { finished.wait() }
    }

    public var inEventLoop: Bool {
        threadID.withLock { id in id.map { pthread_equal($0, pthread_self()) != 0 } ?? false }
    }

    /// Runs `work` on the loop thread, soon. Safe from any thread.
    public func execute(_ work: @escaping @Sendable () -> Void) {
        queue.withLock { $0.append(work) }
        if !wakeRequested.exchange(true, ordering: .acquiringAndReleasing) {
            var one: UInt64 = 1
            _ = write(wakeFD, &one, 8)
        }
    }

    /// Watches `fd` for `events` (EPOLLIN, EPOLLOUT...). Loop thread only.
    public func register(_ fd: Int32, events: UInt32, handler: any Selectable) throws(TransportError) {
        var event = epoll_event(events: events, data: epoll_data_t(fd: fd))
        guard epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event) == 0 else {
            throw TransportError.system("epoll_ctl(ADD)", errno: errno)
        }
        handlers[fd] = handler
    }

    /// Changes the events watched on `fd`. Loop thread only.
    public func modify(_ fd: Int32, events: UInt32) {
        var event = epoll_event(events: events, data: epoll_data_t(fd: fd))
        epoll_ctl(epollFD, EPOLL_CTL_MOD, fd, &event)
    }

    /// Stops watching `fd`; call before closing it. Loop thread only.
    public func deregister(_ fd: Int32) {
        epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, nil)
        handlers[fd] = nil
    }

    /// Runs `work` on the loop thread after `delay`. Loop thread only.
    @discardableResult
    public func schedule(after delay: Duration, _ work: @escaping () -> Void) -> TimerQueue.Token {
        timers.schedule(at: Deadline.nowNanos() + delay.nanoseconds, work)
    }

    /// Cancels a timer that has not fired. Loop thread only.
    public func cancel(_ token: TimerQueue.Token) {
        timers.cancel(token)
    }

    private func run() {
        let capacity = 256
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: capacity)
        defer { events.deallocate() }
        while running.load(ordering: .acquiring) {
            let timeout = timers.millisecondsUntilNext(now: Deadline.nowNanos(), cap: 1000)
            let count = epoll_wait(epollFD, events, Int32(capacity), Int32(timeout))
            if count < 0 {
                if errno == EINTR { continue }
                break
            }
            for index in 0..<Int(count) {
                let fd = events[index].data.fd
                if fd == wakeFD {
                    var value: UInt64 = 0
                    _ = read(wakeFD, &value, 8)
                    continue
                }
                handlers[fd]?.handleEvents(events[index].events)
            }
            runQueuedWork()
            let now = Deadline.nowNanos()
            while let work = timers.popExpired(now: now) { work() }
        }
        runQueuedWork()
    }

    private func runQueuedWork() {
        while true {
            wakeRequested.store(false, ordering: .releasing)
            let work = queue.withLock { queued -> [@Sendable () -> Void] in
                let taken = queued
                queued.removeAll(keepingCapacity: true)
                return taken
            }
            if work.isEmpty { return }
            for item in work { item() }
        }
    }
}

import TurnoutWire

extension Deadline {
    static func nowNanos() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
}
