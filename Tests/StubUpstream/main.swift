import Foundation
import TurnoutJSON
import TurnoutRouting
import TurnoutTelemetry
import TurnoutTransport
import TurnoutWire

// A fast stand-in for upstream LLMs, for the benchmarks only (the test upstream,
// Tests/Upstream/test_upstream.py, does the failure modes; it is a threaded Python server, too
// slow to benchmark against).
//
//   turnout-stub-upstream [--port N]
//       answers every chat completion at once, "<model> answer.", with usage: the model is the
//       request's `model`, so a judge can tell the answers apart;
//   turnout-stub-upstream --rate-limited SECONDS [--port N]
//       answers every chat completion 429 with Retry-After: SECONDS, as a rate-limited
//       provider does (for `bench faults`);
//   turnout-stub-upstream --judge-gsm8k DIR --strong-model ID [--port N]
//       a judge whose verdicts come from GSM8K's real per-question outcomes (DIR holds
//       gsm8k_responses.csv): it reads the question and the two answers from MT-Bench's
//       pairwise prompt (Turnout's PairwiseJudge), and says [[A]] or [[B]] for the answer of
//       the only model that got the question right, [[C]] when both or neither did, and no
//       verdict at all for a question it does not know.

let arguments = CommandLine.arguments
func option(_ name: String) -> String? {
    arguments.firstIndex(of: name).flatMap { arguments.indices.contains($0 + 1) ? arguments[$0 + 1] : nil }
}
let port = option("--port").flatMap(UInt16.init) ?? 0
let rateLimited = option("--rate-limited")
let logger = Logger(service: "turnout-stub-upstream")

/// GSM8K's outcome per question, for the judge mode.
struct Outcomes {
    let byPrompt: [String: (strong: Bool, weak: Bool)]
    let strongModel: String

    init(directory: String, strongModel: String) throws {
        let items = try BenchmarkData.gsm8k(directory: URL(fileURLWithPath: directory), decontaminate: false).items
        byPrompt = Dictionary(items.map { ($0.prompt, (strong: $0.strongScore > 0.5, weak: $0.weakScore > 0.5)) }) { first, _ in first }
        self.strongModel = strongModel
    }

    /// The verdict for a pairwise judge prompt; nil when the question is unknown.
    func verdict(for prompt: String) -> String? {
        func between(_ start: String, _ end: String) -> String? {
            guard let open = prompt.range(of: start), let close = prompt.range(of: end, range: open.upperBound..<prompt.endIndex) else { return nil }
            return String(prompt[open.upperBound..<close.lowerBound])
        }
        guard let question = between("[User Question]\n", "\n\n[The Start of Assistant A's Answer]\n"),
              let answerA = between("[The Start of Assistant A's Answer]\n", "\n[The End of Assistant A's Answer]"),
              let outcome = byPrompt[question] else { return nil }
        let strongIsA = answerA.hasPrefix(strongModel)
        switch (outcome.strong, outcome.weak) {
        case (true, false): return strongIsA ? "[[A]]" : "[[B]]"
        case (false, true): return strongIsA ? "[[B]]" : "[[A]]"
        default: return "[[C]]"
        }
    }
}

/// The `model` of a request and the content of its last message.
func read(_ body: [UInt8]) -> (model: String, lastContent: String) {
    guard let members = try? JSONObjectMembers(body) else { return ("stub", "") }
    var model = "stub"
    if let raw = members["model"] {
        var scanner = JSONScanner(bytes: Array(raw))
        model = (try? scanner.readString()) ?? model
    }
    var last = ""
    if let raw = members["messages"] {
        var scanner = JSONScanner(bytes: Array(raw))
        try? scanner.readArray { (scanner: inout JSONScanner) throws(JSONError) in
            try scanner.readObject { (key: String, scanner: inout JSONScanner) throws(JSONError) in
                if key == "content", scanner.peek() == UInt8(ascii: "\"") { last = try scanner.readString() } else { try scanner.skipValue() }
            }
        }
    }
    return (model, last)
}

func completion(model: String, content: String) -> [UInt8] {
    var bytes = Array(#"{"id":"chatcmpl-stub","object":"chat.completion","created":1700000000,"model":"#.utf8)
    JSONWriter.appendString(model, to: &bytes)
    bytes += Array(#","choices":[{"index":0,"message":{"role":"assistant","content":"#.utf8)
    JSONWriter.appendString(content, to: &bytes)
    bytes += Array(#"},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":4,"total_tokens":16}}"#.utf8)
    return bytes
}

var configuration = HTTPServerConfiguration(listen: HostPort(host: "127.0.0.1", port: port))
configuration.maxConcurrentHandlers = 4096
do {
    let judge = try option("--judge-gsm8k").map { try Outcomes(directory: $0, strongModel: option("--strong-model") ?? "strong-model") }
    let server = try HTTPServer(configuration: configuration, logger: logger) { request in
        guard request.method == "POST", request.path.hasSuffix("/chat/completions") else {
            return .json(404, Array(#"{"error":{"message":"not found","type":"invalid_request_error"}}"#.utf8))
        }
        if let seconds = rateLimited {
            return .json(429, Array(#"{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}"#.utf8),
                         headers: [("Retry-After", seconds)])
        }
        let (model, last) = read(request.body)
        guard let judge else { return .json(200, completion(model: model, content: "\(model) answer.")) }
        let verdict = judge.verdict(for: last).map { "Both answers were compared with the reference. \($0)" } ?? "I do not know this question."
        return .json(200, completion(model: model, content: verdict))
    }
    try server.start()
    logger.lifecycle("listening", ["port": .int(server.localAddress?.port ?? 0)])
    while true { sleep(3600) }
} catch {
    logger.error("could not start: \(error)")
    exit(1)
}
