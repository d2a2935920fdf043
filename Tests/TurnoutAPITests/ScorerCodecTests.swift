import Testing
import TurnoutScorerAPI
import TurnoutTestSupport
import TurnoutWire

@Suite struct ScorerCodecTests {
    @Test(arguments: [
        ScorerAPI.ScoreRequest(embedding: [0.25, -1, 3.0e-7], router: "mf\n", threshold: 0.1159),
        ScorerAPI.ScoreRequest(text: "Prove that 17 is prime. \"quoted\"", router: "gain", strongFraction: 0.3),
        ScorerAPI.ScoreRequest(embedding: (0..<384).map { Float($0).squareRoot() / 20 }, text: "both", router: "sw_ranking", threshold: 0, strongFraction: 1),
        ScorerAPI.ScoreRequest(router: ""),
    ])
    func requestsMatchCodable(_ request: ScorerAPI.ScoreRequest) {
        #expect(CodecTwins.roundTripProblems(request) == [])
    }

    @Test(arguments: [
        ScorerAPI.ScoreResponse(winRate: 0.123456789012345, route: "strong", threshold: 0.1159, routerVersion: "0123456789ab"),
        ScorerAPI.ScoreResponse(winRate: 0, route: "weak", threshold: 1, routerVersion: "v\"1\""),
        ScorerAPI.ScoreResponse(winRate: .leastNonzeroMagnitude, route: "weak", threshold: 0.3, routerVersion: ""),
    ])
    func responsesMatchCodable(_ response: ScorerAPI.ScoreResponse) {
        #expect(CodecTwins.roundTripProblems(response) == [])
    }

    @Test func bodiesBothAccept() {
        #expect(CodecTwins.acceptanceProblems(ScorerAPI.ScoreRequest.self, #"{"router":"mf","embedding":null,"text":null,"threshold":null,"strong_fraction":null}"#) == [])
        #expect(CodecTwins.acceptanceProblems(ScorerAPI.ScoreRequest.self, #"{"embedding":[1,-2.5e-3,3E+1],"router":"mf","unknown":[{"a":null}]}"#) == [])
        #expect(CodecTwins.acceptanceProblems(ScorerAPI.ScoreResponse.self, #"{"route":"weak","router_version":"x","threshold":1e-1,"win_rate":0.5,"more":1}"#) == [])
    }

    @Test(arguments: [
        (#"{"embedding":[1]}"#, "router"),
        (#"{"router":5}"#, "invalid"),
        (#"{"router":"mf","embedding":[1,"x"]}"#, "invalid"),
        (#"{"router":"mf","embedding":"1,2"}"#, "invalid"),
        (#"{"router":"mf","threshold":"0.5"}"#, "invalid"),
        (#"{"router":"mf","strong_fraction":true}"#, "invalid"),
        (#"{"router":"mf"}]"#, "invalid"),
        ("not json", "invalid"),
    ])
    func requestsBothRefuse(_ body: String, _ fragment: String) {
        #expect(CodecTwins.refusalProblems(ScorerAPI.ScoreRequest.self, body, naming: fragment) == [])
    }

    @Test(arguments: [
        (#"{"route":"weak","threshold":0.3,"router_version":"x"}"#, "win_rate"),
        (#"{"win_rate":0.5,"threshold":0.3,"router_version":"x"}"#, "route"),
        (#"{"win_rate":0.5,"route":"weak","router_version":"x"}"#, "threshold"),
        (#"{"win_rate":0.5,"route":"weak","threshold":0.3}"#, "router_version"),
        (#"{"win_rate":"high","route":"weak","threshold":0.3,"router_version":"x"}"#, "invalid"),
    ])
    func responsesBothRefuse(_ body: String, _ fragment: String) {
        #expect(CodecTwins.refusalProblems(ScorerAPI.ScoreResponse.self, body, naming: fragment) == [])
    }

    @Test func theClientSendsTheHandWrittenRequestAndReadsTheAnswer() async throws {
        let transport = CannedTransport(answer: #"{"win_rate":0.75,"route":"strong","threshold":0.5,"router_version":"abc"}"#)
        let answer = try await ScorerClient(transport).score(ScorerAPI.ScoreRequest(embedding: [0.5, 0.25], router: "mf", threshold: 0.5))
        #expect(answer == ScorerAPI.ScoreResponse(winRate: 0.75, route: "strong", threshold: 0.5, routerVersion: "abc"))
        #expect(transport.lastBody == #"{"router":"mf","embedding":[0.5,0.25],"threshold":0.5}"#)
    }

    @Test func nonFiniteNumbersAreLeftOutOfRequests() throws {
        let request = ScorerAPI.ScoreRequest(router: "mf", threshold: .nan, strongFraction: .infinity)
        #expect(String(decoding: request.encoded(), as: UTF8.self) == #"{"router":"mf"}"#)
    }
}
