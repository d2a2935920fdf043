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

    /// One header line from curl (status lines included, CRLF attached), read as bytes:
    /// this runs for every header of every response on the one curl thread.
    func receiveHeaderLine(_ raw: UnsafeRawBufferPointer) {
        var end = raw.count
        while end > 0, raw[end - 1] == 0x0A || raw[end - 1] == 0x0D || raw[end - 1] == 0x20 || raw[end - 1] == 0x09 { end -= 1 }
        var start = 0
        while start < end, raw[start] == 0x20 || raw[start] == 0x09 { start += 1 }
        guard start < end else {
            if status >= 200 { deliverHead() }
            return
        }
        let line = raw[start..<end]
        if line.starts(with: "HTTP/".utf8) {
            // A new header block (after a 100 Continue, say) replaces the previous one.
            var index = line.startIndex
            while index < line.endIndex, line[index] != 0x20 { index += 1 }
            while index < line.endIndex, line[index] == 0x20 { index += 1 }
            var code = 0
            while index < line.endIndex, line[index] >= 0x30, line[index] <= 0x39, code < 1000 {
                code = code * 10 + Int(line[index] - 0x30)
                index += 1
            }
            status = code
            headers = []
            return
        }
        guard let colon = line.firstIndex(of: 0x3A) else { return }
        var valueStart = colon + 1
        while valueStart < line.endIndex, line[valueStart] == 0x20 || line[valueStart] == 0x09 { valueStart += 1 }
        let name = String(decoding: UnsafeRawBufferPointer(rebasing: line[..<colon]), as: UTF8.self).lowercased()
        headers.append((name, String(decoding: UnsafeRawBufferPointer(rebasing: line[valueStart...]), as: UTF8.self)))
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
