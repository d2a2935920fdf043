import Testing
import TurnoutWire

@Suite struct EnvelopeTests {
    private func payload(of request: RequestEnvelope) -> [UInt8] {
        var bytes: [UInt8] = []
        request.encodeFrame(into: &bytes)
        return Array(bytes.dropFirst(4))
    }

    @Test func requestRoundTrip() throws {
        let request = RequestEnvelope(id: 42, method: "Scorer/Score", deadlineMilliseconds: 250,
                                      metadata: ["trace": "a\"b", "x-user": "é"], body: Array("{\"text\":\"hi\"}".utf8))
        var framed: [UInt8] = []
        request.encodeFrame(into: &framed)
        let length = Int(framed[0]) << 24 | Int(framed[1]) << 16 | Int(framed[2]) << 8 | Int(framed[3])
        #expect(length == framed.count - 4)
        #expect(try RequestEnvelope.parse(Array(framed.dropFirst(4))) == request)
    }

    @Test func responseRoundTrip() throws {
        let response = ResponseEnvelope(id: 9, code: .resourceExhausted, message: "too \"big\"", body: Array("[1,2]".utf8))
        var framed: [UInt8] = []
        response.encodeFrame(into: &framed)
        #expect(try ResponseEnvelope.parse(Array(framed.dropFirst(4))) == response)
    }

    @Test func absentAndNullFieldsTakeDefaults() throws {
        let parsed = try RequestEnvelope.parse(Array("{\"id\":3,\"method\":\"A/B\",\"deadline_ms\":null,\"metadata\":null,\"body\":null,\"future\":{\"x\":1}}".utf8))
        #expect(parsed.id == 3)
        #expect(parsed.deadlineMilliseconds == nil)
        #expect(parsed.metadata.isEmpty)
        #expect(parsed.body == Array("{}".utf8))
    }

    @Test func invalidJSONKeepsTheIdWhenItWasRead() {
        do {
            _ = try RequestEnvelope.parse(Array("{\"id\":17,\"method\":\"A/B\",\"body\":{\"x\":}".utf8))
            Issue.record("parse should fail")
        } catch {
            #expect(error.requestID == 17)
            #expect(error.message.contains("invalid JSON"))
        }
    }

    @Test(arguments: [
        ("{\"method\":\"A/B\"}", "no \"id\""),
        ("{\"id\":1}", "no \"method\""),
        ("{\"id\":1,\"method\":\"\"}", "no \"method\""),
        ("{\"id\":1,\"method\":\"A/B\",\"deadline_ms\":-5}", "deadline_ms"),
        ("{\"id\":-1,\"method\":\"A/B\"}", "non-negative integer"),
        ("{\"id\":1,\"method\":\"A/B\",\"metadata\":{\"k\":1}}", "invalid JSON"),
        ("{\"id\":1,\"method\":\"A/B\"} x", "after the JSON value"),
        ("[1]", "invalid JSON"),
        ("", "unexpected end"),
    ])
    func malformedRequestsAreRejectedWithAReason(text: String, reason: String) {
        #expect {
            try RequestEnvelope.parse(Array(text.utf8))
        } throws: { error in
            (error as? EnvelopeError)?.message.contains(reason) ?? false
        }
    }

    @Test func unknownStatusNamesReadAsUnknown() throws {
        let parsed = try ResponseEnvelope.parse(Array("{\"id\":1,\"status\":{\"code\":\"SOMETHING_NEW\"}}".utf8))
        #expect(parsed.code == .unknown)
    }

    @Test func statusCodesUseGRPCNames() {
        #expect(StatusCode.allCases.count == 17)
        #expect(StatusCode.deadlineExceeded.rawValue == "DEADLINE_EXCEEDED")
        #expect(StatusCode(wireName: "UNAVAILABLE") == .unavailable)
    }

    /// Found by the fuzzer: a 45-digit deadline used to overflow when re-encoded.
    @Test func hugeDeadlinesAreCappedNotOverflowed() throws {
        let parsed = try RequestEnvelope.parse(Array("{\"id\":7,\"method\":\"A/B\",\"deadline_ms\":825222222222222222222222222222222222222222222}".utf8))
        #expect(parsed.deadlineMilliseconds == RequestEnvelope.maxDeadlineMilliseconds)
        #expect(try RequestEnvelope.parse(payload(of: parsed)) == parsed)
    }

    @Test func deadlineIsSentInWholeMillisecondsRoundedUp() throws {
        let parsed = try RequestEnvelope.parse(payload(of: RequestEnvelope(id: 1, method: "A/B", deadlineMilliseconds: 0.2)))
        #expect(parsed.deadlineMilliseconds == 1)
    }
}
