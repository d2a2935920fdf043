import Foundation
import TurnoutTelemetry
import TurnoutTransport
import TurnoutWire

// A fast stand-in for an upstream LLM, for `turnout bench dispatch` only: it answers every
// chat completion at once with a short fixed answer and usage, so the benchmark measures the
// dispatcher rather than the stand-in. (The test upstream, Tests/Upstream/test_upstream.py,
// does the failure modes; it is a threaded Python server, too slow to benchmark against.)
// Usage: turnout-stub-upstream [--port N]

let arguments = CommandLine.arguments
let port = arguments.firstIndex(of: "--port").flatMap { arguments.indices.contains($0 + 1) ? UInt16(arguments[$0 + 1]) : nil } ?? 0
let logger = Logger(service: "turnout-stub-upstream")
let answer = Array(#"{"id":"chatcmpl-stub","object":"chat.completion","created":1700000000,"model":"stub","choices":[{"index":0,"message":{"role":"assistant","content":"A short answer."},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":4,"total_tokens":16}}"#.utf8)
var configuration = HTTPServerConfiguration(listen: HostPort(host: "127.0.0.1", port: port))
configuration.maxConcurrentHandlers = 4096
do {
    let server = try HTTPServer(configuration: configuration, logger: logger) { request in
        guard request.method == "POST", request.path.hasSuffix("/chat/completions") else {
            return .json(404, Array(#"{"error":{"message":"not found","type":"invalid_request_error"}}"#.utf8))
        }
        return .json(200, answer)
    }
    try server.start()
    logger.lifecycle("listening", ["port": .int(server.localAddress?.port ?? 0)])
    while true { sleep(3600) }
} catch {
    logger.error("could not start: \(error)")
    exit(1)
}
