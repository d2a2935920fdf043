import TurnoutJSON

/// Relays an upstream's server-sent events to the client as they arrive.
///
/// Every chunk's `model` is rewritten to the upstream that answered (the one place every SDK
/// user sees the route). The usage chunk the dispatcher asked for is read for the record and
/// passed on only if the client asked for it too. A stream that breaks, or ends without
/// `[DONE]`, ends with an error event in OpenAI's shape: never a silent, truncated success.
///
/// It knows nothing of HTTP: whoever consumes it passes a `write` that sends bytes on and
/// says whether the client is still there.
public struct CompletionStream: Sendable {
    let reply: UpstreamReply
    let clientWantsUsage: Bool
    let recorder: DispatchRecorder
    let outcome: DispatchOutcome
    /// Set when the request is shadowed: it collects the answer's text as it streams.
    let ticket: ShadowTicket?

    /// Relays every event through `write` (whole `data: ...\n\n` events), then records the
    /// request. Stops early, and records 499, when `write` returns false.
    public func relay(_ write: (_ bytes: [UInt8]) -> Bool) async {
        defer { reply.slot.release() }
        var outcome = outcome
        var parser = ServerSentEventParser()
        var sawDone = false
        var failure: OpenAIError?
        let model = JSONObjectMembers.string(reply.upstream.name)
        let body: AsyncThrowingStream<[UInt8], any Error>
        switch reply.body {
        case let .stream(stream): body = stream
        case let .whole(bytes): body = AsyncThrowingStream { $0.yield(bytes); $0.finish() }
        }
        do {
            streaming: for try await chunk in body {
                for event in parser.feed(chunk) {
                    if event == "[DONE]" {
                        sawDone = true
                        _ = write(Array("data: [DONE]\n\n".utf8))
                        break streaming
                    }
                    guard let members = try? JSONObjectMembers(Array(event.utf8)) else {
                        failure = .upstream(502, "upstream \(reply.upstream.name) sent an event that is not JSON")
                        break streaming
                    }
                    if members["error"] != nil {
                        // The upstream's own error event, passed on as it is.
                        _ = write(Array("data: \(event)\n\n".utf8))
                        outcome.status = 502
                        break streaming
                    }
                    if let ticket, let text = ChatAnswer.delta(of: members) { ticket.append(text) }
                    let usage = TokenUsage.parse(members["usage"])
                    if let usage { outcome.usage = usage }
                    if usage != nil, !clientWantsUsage, members["choices"].map(Self.isEmptyArray) ?? true { continue }
                    var bytes = Array("data: ".utf8)
                    bytes.append(contentsOf: members.replacing([("model", model)]))
                    bytes.append(contentsOf: [0x0A, 0x0A])
                    guard write(bytes) else {
                        failure = OpenAIError(status: 499, message: "the client went away", type: "client_closed")
                        break streaming
                    }
                }
            }
        } catch {
            failure = .upstream(502, "upstream \(reply.upstream.name) broke off the stream: \(error)")
        }
        if failure == nil, !sawDone, outcome.status == 200 {
            failure = .upstream(502, "upstream \(reply.upstream.name) ended the stream without [DONE]")
        }
        if let failure {
            outcome.status = failure.status
            if failure.status != 499 { _ = write(failure.event) }
        } else if outcome.status == 200 {
            ticket?.complete()
        }
        recorder.finish(outcome)
    }

    static func isEmptyArray(_ raw: ArraySlice<UInt8>) -> Bool {
        raw.filter { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 } == [UInt8(ascii: "["), UInt8(ascii: "]")]
    }
}
