import Testing
import TurnoutDispatcher
import TurnoutJSON
import TurnoutTestSupport
import TurnoutWire

@Suite struct DispatcherCodecTests {
    @Test func routeAnswersMatchCodable() throws {
        let routed = try RouteAnswer.decoded(from: Array(#"{"router":"mf","threshold":0.1159,"win_rate":0.25,"route":"weak","model":"weak-model","default_route":false,"router_version":"abc","timings":{"embed_ms":1.5,"score_ms":0.25,"total_ms":2}}"#.utf8))
        #expect(routed.router == "mf" && routed.threshold == 0.1159 && routed.timings.totalMs == 2)
        #expect(CodecTwins.roundTripProblems(routed) == [])
        let passthrough = try RouteAnswer.decoded(from: Array(#"{"router":"","threshold":null,"win_rate":null,"route":"passthrough","model":"strong \"model\"","default_route":true,"router_version":null,"timings":{"embed_ms":0,"score_ms":0,"total_ms":0.01}}"#.utf8))
        #expect(passthrough.threshold == nil && passthrough.routerVersion == nil && passthrough.defaultRoute)
        #expect(CodecTwins.roundTripProblems(passthrough) == [])
    }

    @Test(arguments: [
        (#"{"threshold":0.5,"route":"weak","model":"m","default_route":false,"timings":{}}"#, "router"),
        (#"{"router":"mf","model":"m","default_route":false,"timings":{}}"#, "route"),
        (#"{"router":"mf","route":"weak","default_route":false,"timings":{}}"#, "model"),
        (#"{"router":"mf","route":"weak","model":"m","timings":{}}"#, "default_route"),
        (#"{"router":"mf","route":"weak","model":"m","default_route":false}"#, "timings"),
        (#"{"router":"mf","route":"weak","model":"m","default_route":"no","timings":{}}"#, "invalid"),
        (#"{"router":"mf","route":"weak","model":"m","default_route":false,"timings":{"total_ms":"2"}}"#, "invalid"),
    ])
    func routeAnswersBothRefuse(_ body: String, _ fragment: String) {
        #expect(CodecTwins.refusalProblems(RouteAnswer.self, body, naming: fragment) == [])
    }

    @Test func chatRequestsTravelAsTheClientWroteThem() throws {
        let body = #"{"model":"router-mf","temperature":0.70,"messages":[{"role":"user","content":"hi"}],"x":[1,{"y":null}]}"#
        let request = try ChatRequest.decoded(from: Array(body.utf8))
        #expect(request.model == "router-mf" && request.routingText == "hi")
        #expect(String(decoding: request.encoded(), as: UTF8.self) == body, "passed on byte for byte")
    }

    @Test(arguments: [
        ("{not json", "not a JSON object"),
        (#"{"messages":[{"role":"user","content":"hi"}]}"#, "model"),
        (#"{"model":"router-mf","messages":[]}"#, "messages"),
        (#"{"model":7,"messages":[{"role":"user","content":"hi"}]}"#, "model"),
    ])
    func badChatRequestsAreInvalidArguments(_ body: String, _ fragment: String) {
        do {
            _ = try ChatRequest.decoded(from: Array(body.utf8))
            Issue.record("\(body) must be refused")
        } catch {
            #expect(error.code == .invalidArgument)
            #expect(error.message.contains(fragment), "\(error.message)")
        }
    }

    @Test func routeRequestsReadEitherFormOnce() throws {
        let prompt = try RouteRequest.decoded(from: Array(#"{"model":"router-mf","prompt":"What is 2 + 2?"}"#.utf8))
        #expect(prompt.model == "router-mf" && prompt.text == "What is 2 + 2?")
        let chat = try RouteRequest.decoded(from: Array(#"{"model":"router-mf","prompt":null,"messages":[{"role":"user","content":"x"},{"role":"user","content":[{"type":"text","text":"last"}]}]}"#.utf8))
        #expect(chat.text == "last")
        let again = try RouteRequest.decoded(from: prompt.encoded())
        #expect(again.model == prompt.model && again.text == prompt.text)
        for (body, fragment) in [(#"{"prompt":"x"}"#, "model"), (#"{"model":"m","prompt":7}"#, "prompt"), ("[]", "not a JSON object")] {
            do {
                _ = try RouteRequest.decoded(from: Array(body.utf8))
                Issue.record("\(body) must be refused")
            } catch {
                #expect(error.code == .invalidArgument && error.message.contains(fragment), "\(body): \(error.message)")
            }
        }
    }
}
