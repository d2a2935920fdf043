import CCurl
import CCurlShim

/// One request in flight: its easy handle, what has arrived, and whom to tell.
/// Touched only on the client's curl thread, except `init`.
final class Transfer: @unchecked Sendable {
    // @unchecked Sendable: created on the caller's thread, then owned by the curl thread alone.
    enum Delivery {
        /// Buffer the whole body; resume once at the end.
        case buffered(CheckedContinuation<Result<HTTPResponse, HTTPClientError>, Never>)
        /// Resume with the head as soon as headers end; then yield body chunks.
        case streaming(head: CheckedContinuation<Result<HTTPResponseHead, HTTPClientError>, Never>, body: AsyncThrowingStream<[UInt8], any Error>.Continuation)
    }

    let id: UInt64
    let request: HTTPRequest
    let delivery: Delivery
    var handle: UnsafeMutableRawPointer?
    var headerList: UnsafeMutablePointer<curl_slist>?
    var requestBody: UnsafeMutableBufferPointer<UInt8>?
    var status = 0
    var headers: [(name: String, value: String)] = []
    var headDelivered = false
    var body: [UInt8] = []
    var headerDeadline: UInt64?
    var finished = false

    init(id: UInt64, request: HTTPRequest, delivery: Delivery) {
        self.id = id
        self.request = request
        self.delivery = delivery
    }

    /// One header line from curl (status lines included, CRLF attached).
    func receiveHeaderLine(_ line: String) {
        let trimmed = line.trimmingCharacters(in: [" ", "\r", "\n", "\r\n"])
        if trimmed.hasPrefix("HTTP/") {
            // A new header block (after a 100 Continue, say) replaces the previous one.
            let parts = trimmed.split(separator: " ", maxSplits: 2)
            status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
            headers = []
            return
        }
        if trimmed.isEmpty {
            if status >= 200 { deliverHead() }
            return
        }
        guard let colon = trimmed.firstIndex(of: ":") else { return }
        let name = trimmed[..<colon].lowercased()
        let value = trimmed[trimmed.index(after: colon)...].trimmingCharacters(in: [" ", "\t"])
        headers.append((name, value))
    }

    func receiveBody(_ bytes: UnsafeRawBufferPointer) {
        if !headDelivered { deliverHead() }
        switch delivery {
        case .buffered:
            body.append(contentsOf: bytes)
        case let .streaming(_, stream):
            stream.yield(Array(bytes))
        }
    }

    private func deliverHead() {
        guard !headDelivered else { return }
        headDelivered = true
        if case let .streaming(head, _) = delivery {
            head.resume(returning: .success(HTTPResponseHead(status: status, headers: headers)))
        }
    }

    /// Ends the transfer once, successfully or not.
    func finish(_ error: HTTPClientError?) {
        guard !finished else { return }
        finished = true
        switch delivery {
        case let .buffered(continuation):
            if let error {
                continuation.resume(returning: .failure(error))
            } else {
                continuation.resume(returning: .success(HTTPResponse(head: HTTPResponseHead(status: status, headers: headers), body: body)))
            }
        case let .streaming(head, stream):
            if !headDelivered {
                headDelivered = true
                if let error {
                    head.resume(returning: .failure(error))
                    stream.finish(throwing: error)
                    return
                }
                head.resume(returning: .success(HTTPResponseHead(status: status, headers: headers)))
            }
            if let error { stream.finish(throwing: error) } else { stream.finish() }
        }
    }

    func releaseResources() {
        if let headerList { curl_slist_free_all(headerList) }
        headerList = nil
        requestBody?.deallocate()
        requestBody = nil
    }
}

extension String {
    func trimmingCharacters(in set: Set<Character>) -> String {
        var slice = Substring(self)
        while let first = slice.first, set.contains(first) { slice.removeFirst() }
        while let last = slice.last, set.contains(last) { slice.removeLast() }
        return String(slice)
    }
}

extension Substring {
    func trimmingCharacters(in set: Set<Character>) -> String {
        String(self).trimmingCharacters(in: set)
    }
}
