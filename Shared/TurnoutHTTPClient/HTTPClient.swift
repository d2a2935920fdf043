import CCurl
import CCurlShim
import Dispatch
import Foundation
import Synchronization

/// An HTTP/1.1 and HTTP/2 client on libcurl's multi interface.
///
/// One dedicated thread drives every transfer, so callers never block and connections are
/// reused across requests (and multiplexed over HTTP/2 where the server offers it). Bodies
/// can be buffered or streamed chunk by chunk as they arrive, which server-sent events need.
public final class HTTPClient: Sendable {
    private struct Inbox {
        var submitted: [Transfer] = []
        var cancelled: [UInt64] = []
        var running = true
    }

    private let multi: MultiHandle
    private let inbox = Mutex(Inbox())
    private let nextID = Atomic<UInt64>(1)
    private let stopped = DispatchSemaphore(value: 0)

    private static let globalInit: Void = {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT))
    }()

    /// - Parameter maxConnectionsPerHost: caps parallel connections to one upstream (0 = no cap).
    public init(maxConnectionsPerHost: Int = 0) {
        _ = Self.globalInit
        multi = MultiHandle()
        cturnout_multi_setopt_long(multi.pointer, CURLMOPT_PIPELINING, Int(CURLPIPE_MULTIPLEX))
        if maxConnectionsPerHost > 0 {
            cturnout_multi_setopt_long(multi.pointer, CURLMOPT_MAX_HOST_CONNECTIONS, maxConnectionsPerHost)
        }
        let thread = Thread { [self] in
            run()
            stopped.signal()
        }
        thread.name = "http-client"
        thread.start()
    }

    /// Sends `request` and reads the whole response.
    /// - Throws: `HTTPClientError`; an HTTP error status is a response, not an error.
    public func send(_ request: HTTPRequest) async throws(HTTPClientError) -> HTTPResponse {
        let id = nextID.add(1, ordering: .relaxed).oldValue
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<HTTPResponse, HTTPClientError>, Never>) in
                submit(Transfer(id: id, request: request, delivery: .buffered(continuation)))
            }
        } onCancel: {
            cancel(id)
        }
        return try result.get()
    }

    /// Sends `request` and returns as soon as the response headers arrive; the body follows as a stream.
    /// Ending the stream early (dropping it) aborts the transfer.
    public func stream(_ request: HTTPRequest) async throws(HTTPClientError) -> (HTTPResponseHead, AsyncThrowingStream<[UInt8], any Error>) {
        let id = nextID.add(1, ordering: .relaxed).oldValue
        let (body, bodyContinuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
        bodyContinuation.onTermination = { [weak self] termination in
            if case .cancelled = termination { self?.cancel(id) }
        }
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<HTTPResponseHead, HTTPClientError>, Never>) in
                submit(Transfer(id: id, request: request, delivery: .streaming(head: continuation, body: bodyContinuation)))
            }
        } onCancel: {
            cancel(id)
        }
        return (try result.get(), body)
    }

    /// Aborts every transfer and stops the thread.
    public func shutdown() {
        let wasRunning = inbox.withLock { inbox -> Bool in
            defer { inbox.running = false }
            return inbox.running
        }
        guard wasRunning else { return }
        curl_multi_wakeup(multi.pointer)
        stopped.wait()
    }

    private func submit(_ transfer: Transfer) {
        let accepted = inbox.withLock { inbox -> Bool in
            guard inbox.running else { return false }
            inbox.submitted.append(transfer)
            return true
        }
        if accepted {
            curl_multi_wakeup(multi.pointer)
        } else {
            transfer.finish(.cancelled)
        }
    }

    private func cancel(_ id: UInt64) {
        inbox.withLock { $0.cancelled.append(id) }
        curl_multi_wakeup(multi.pointer)
    }

    // MARK: The curl thread.

    private func run() {
        var active: [UInt64: Transfer] = [:]
        while true {
            let (submitted, cancelled, running) = inbox.withLock { inbox in
                defer {
                    inbox.submitted.removeAll()
                    inbox.cancelled.removeAll()
                }
                return (inbox.submitted, inbox.cancelled, inbox.running)
            }
            for transfer in submitted {
                if let error = start(transfer) {
                    transfer.finish(error)
                } else {
                    active[transfer.id] = transfer
                }
            }
            for id in cancelled {
                if let transfer = active.removeValue(forKey: id) { end(transfer, .cancelled) }
            }
            if !running {
                for transfer in active.values { end(transfer, .cancelled) }
                return
            }
            var stillRunning: Int32 = 0
            curl_multi_perform(multi.pointer, &stillRunning)
            var queued: Int32 = 0
            while let message = curl_multi_info_read(multi.pointer, &queued) {
                guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
                let code = message.pointee.data.result
                guard let transfer = active.values.first(where: { $0.handle == easy }) else { continue }
                active[transfer.id] = nil
                end(transfer, code == CURLE_OK ? nil : Self.error(for: code, transfer: transfer))
            }
            let now = DispatchTime.now().uptimeNanoseconds
            for transfer in active.values where !transfer.headDelivered {
                if let deadline = transfer.headerDeadline, deadline <= now {
                    active[transfer.id] = nil
                    end(transfer, .timedOut(beforeHeaders: true))
                }
            }
            var numberOfDescriptors: Int32 = 0
            curl_multi_poll(multi.pointer, nil, 0, active.isEmpty ? 1000 : 20, &numberOfDescriptors)
        }
    }

    /// Creates and configures the easy handle; returns an error if the request cannot start.
    private func start(_ transfer: Transfer) -> HTTPClientError? {
        guard let easy = curl_easy_init() else { return .transport("curl_easy_init failed") }
        transfer.handle = easy
        let request = transfer.request
        let context = Unmanaged.passUnretained(transfer).toOpaque()
        cturnout_easy_setopt_string(easy, CURLOPT_URL, request.url)
        cturnout_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        cturnout_easy_setopt_long(easy, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS))
        cturnout_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(request.connectTimeout))
        cturnout_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, Self.milliseconds(request.timeout))
        cturnout_easy_setopt_long(easy, CURLOPT_TCP_NODELAY, 1)
        cturnout_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, request.method)
        if request.method == "HEAD" { cturnout_easy_setopt_long(easy, CURLOPT_NOBODY, 1) }
        if !request.body.isEmpty || request.method == "POST" || request.method == "PUT" {
            let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(1, request.body.count))
            _ = buffer.initialize(from: request.body)
            transfer.requestBody = buffer
            cturnout_easy_setopt_size(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count))
            cturnout_easy_setopt_pointer(easy, CURLOPT_POSTFIELDS, buffer.baseAddress)
        }
        var list: UnsafeMutablePointer<curl_slist>?
        for header in request.headers {
            // Scalars, not Characters: "\r\n" is one Character and would slip past a Character test.
            guard !header.name.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == ":" }),
                  !header.value.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" }) else {
                curl_slist_free_all(list)
                return .invalidRequest("header \(header.name) contains a line break")
            }
            list = curl_slist_append(list, "\(header.name): \(header.value)")
        }
        // curl adds "Expect: 100-continue" to large POSTs, costing a round trip; upstream APIs don't need it.
        list = curl_slist_append(list, "Expect:")
        transfer.headerList = list
        cturnout_easy_setopt_pointer(easy, CURLOPT_HTTPHEADER, UnsafeMutableRawPointer(list))
        cturnout_easy_setopt_callback(easy, CURLOPT_HEADERFUNCTION, { data, size, count, context in
            guard let data, let context else { return 0 }
            let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
            let length = size * count
            transfer.receiveHeaderLine(UnsafeRawBufferPointer(start: data, count: length))
            return length
        })
        cturnout_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, context)
        cturnout_easy_setopt_callback(easy, CURLOPT_WRITEFUNCTION, { data, size, count, context in
            guard let data, let context else { return 0 }
            let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
            let length = size * count
            transfer.receiveBody(UnsafeRawBufferPointer(start: data, count: length))
            return length
        })
        cturnout_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, context)
        if let headerTimeout = request.headerTimeout {
            transfer.headerDeadline = DispatchTime.now().uptimeNanoseconds + UInt64(Self.milliseconds(headerTimeout)) * 1_000_000
        }
        guard curl_multi_add_handle(multi.pointer, easy) == CURLM_OK else {
            return .transport("curl_multi_add_handle failed")
        }
        return nil
    }

    private func end(_ transfer: Transfer, _ error: HTTPClientError?) {
        if let easy = transfer.handle {
            curl_multi_remove_handle(multi.pointer, easy)
            curl_easy_cleanup(easy)
            transfer.handle = nil
        }
        transfer.releaseResources()
        transfer.finish(error)
    }

    private static func error(for code: CURLcode, transfer: Transfer) -> HTTPClientError {
        let detail = String(cString: curl_easy_strerror(code))
        switch code {
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return .connectFailed(detail)
        case CURLE_OPERATION_TIMEDOUT:
            return .timedOut(beforeHeaders: !transfer.headDelivered)
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL:
            return .invalidRequest(detail)
        default:
            return .transport(detail)
        }
    }

    private static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return max(1, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }
}

/// Owns the multi handle for the client's lifetime.
private final class MultiHandle: @unchecked Sendable {
    // @unchecked Sendable: `curl_multi_wakeup` is documented thread-safe; everything else runs on the curl thread.
    let pointer: UnsafeMutableRawPointer

    init() {
        guard let multi = curl_multi_init() else { fatalError("curl_multi_init failed: out of memory") }
        pointer = multi
    }

    deinit {
        curl_multi_cleanup(pointer)
    }
}
