import Testing
import TurnoutEmbedderAPI
import TurnoutTestSupport
import TurnoutWire

@Suite struct EmbedderCodecTests {
    @Test(arguments: [
        EmbedderAPI.EmbedRequest(texts: ["What is 2 + 2?"]),
        EmbedderAPI.EmbedRequest(texts: ["quote \" backslash \\ tab \t newline \n bell \u{07}", "", "naïve café 日本語 🚂"], model: "sentence-transformers/all-MiniLM-L6-v2"),
        EmbedderAPI.EmbedRequest(texts: [], model: ""),
    ])
    func requestsMatchCodable(_ request: EmbedderAPI.EmbedRequest) {
        #expect(CodecTwins.roundTripProblems(request) == [])
    }

    @Test(arguments: [
        EmbedderAPI.EmbedResponse(model: "m \"quoted\"", dims: 3, vectors: [[0.1, -2.5e-8, 1], [Float.leastNonzeroMagnitude, 0.33333334, -0.0]]),
        EmbedderAPI.EmbedResponse(model: "m", dims: 384, vectors: [(0..<384).map { Float($0) / 384 - 0.5 }]),
        EmbedderAPI.EmbedResponse(model: "", dims: 0, vectors: []),
    ])
    func responsesMatchCodableWithEveryFloatExact(_ response: EmbedderAPI.EmbedResponse) {
        #expect(CodecTwins.roundTripProblems(response) == [])
    }

    @Test func bodiesBothAccept() {
        #expect(CodecTwins.acceptanceProblems(EmbedderAPI.EmbedRequest.self, #"{"texts":["a"],"model":null,"extra":{"x":[1,2]}}"#) == [])
        #expect(CodecTwins.acceptanceProblems(EmbedderAPI.EmbedRequest.self, " {\n\"model\": \"m\", \"texts\": [\"\\u00e9\\n\"] } ") == [])
        #expect(CodecTwins.acceptanceProblems(EmbedderAPI.EmbedResponse.self, #"{"vectors":[[1e-3,2E2,-0.5]],"dims":3,"model":"m","cache":true}"#) == [])
    }

    @Test(arguments: [
        (#"{"model":"m"}"#, "texts"),
        (#"{"texts":"one text"}"#, "invalid"),
        (#"{"texts":["a",1]}"#, "invalid"),
        (#"{"texts":["a"],"model":7}"#, "invalid"),
        (#"["a"]"#, "invalid"),
        (#"{"texts":["a"]} {"#, "invalid"),
        ("{\"texts\":[\"a\u{01}\"]}", "invalid"),
        (#"{"texts":["a"]"#, "invalid"),
    ])
    func requestsBothRefuse(_ body: String, _ fragment: String) {
        #expect(CodecTwins.refusalProblems(EmbedderAPI.EmbedRequest.self, body, naming: fragment) == [])
    }

    @Test(arguments: [
        (#"{"dims":3,"vectors":[]}"#, "model"),
        (#"{"model":"m","vectors":[]}"#, "dims"),
        (#"{"model":"m","dims":3}"#, "vectors"),
        (#"{"model":"m","dims":3,"vectors":[[1,"x"]]}"#, "invalid"),
        (#"{"model":"m","dims":3,"vectors":[1]}"#, "invalid"),
        (#"{"model":"m","dims":3.5,"vectors":[]}"#, "invalid"),
        ("[]", "invalid"),
    ])
    func responsesBothRefuse(_ body: String, _ fragment: String) {
        #expect(CodecTwins.refusalProblems(EmbedderAPI.EmbedResponse.self, body, naming: fragment) == [])
    }

    @Test func aMalformedAnswerReachesTheCallerAsInternal() async {
        let transport = CannedTransport(answer: #"{"model":"m","dims":3,"vectors":[[1,"x"]]}"#)
        do {
            _ = try await EmbedderClient(transport).vector(for: "hello")
            Issue.record("a malformed answer must be refused")
        } catch {
            #expect(error.code == .internal)
            #expect(error.message.contains("malformed Embedder/Embed response"))
        }
    }

    @Test func aVectorOfTheWrongLengthIsRefused() async throws {
        let transport = CannedTransport(answer: #"{"model":"m","dims":2,"vectors":[[0.6,0.8]]}"#)
        await #expect(throws: RPCError.self) { try await EmbedderClient(transport).vector(for: "hello", dimensions: 384) }
        #expect(try await EmbedderClient(transport).vector(for: "hello", dimensions: 2) == [0.6, 0.8])
        #expect(transport.lastBody.contains(#""texts":["hello"]"#))
    }
}
