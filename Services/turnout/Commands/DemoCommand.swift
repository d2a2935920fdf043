import Foundation
import TurnoutHTTPClient
import TurnoutRuntime

/// `turnout demo`: routes sample prompts of varied difficulty through a running dispatcher.
enum DemoCommand {
    static let prompts = [
        "What is 2 + 2?",
        "Translate 'good morning' into French.",
        "What is the capital of Australia?",
        "Write a haiku about autumn leaves.",
        "A bat and a ball cost $1.10 in total. The bat costs $1.00 more than the ball. How much does the ball cost?",
        "Explain how TCP's CUBIC congestion control grows its window, with the equation, and compare it to Reno.",
        "Prove that there are infinitely many primes of the form 4k + 3.",
        "Write a Python function for the longest palindromic substring in O(n) time and explain Manacher's algorithm.",
    ]

    static let spec = CommandSpec(
        name: "turnout demo",
        summary: "Route sample prompts of varied difficulty through a dispatcher (POST /v1/route), and with --complete also get answers through it.",
        options: [
            OptionSpec("dispatcher", default: "http://127.0.0.1:6060", value: "URL", help: "The dispatcher's HTTP address"),
            OptionSpec("api-key", env: "TURNOUT_API_KEY", default: "", value: "KEY", help: "A client key, if the dispatcher requires one"),
            .flag("complete", help: "Also send two prompts as chat completions (needs upstreams with working keys)"),
        ]
    )

    static let subcommand = Subcommand(name: "demo", summary: "Route sample prompts through a running dispatcher") { arguments in
        let options = ServiceRunner.parseOrExit(spec, arguments)
        let key = options.string("api-key").flatMap { $0.isEmpty ? nil : $0 }
        return await run(dispatcher: options.string("dispatcher") ?? "http://127.0.0.1:6060", apiKey: key, complete: options.flag("complete"))
    }

    static func run(dispatcher: String, apiKey: String?, complete: Bool) async -> Int32 {
        let client = HTTPClient()
        defer { client.shutdown() }
        func post(_ path: String, _ body: [String: Any]) async throws -> (Int, [String: Any], HTTPResponseHead) {
            var request = HTTPRequest(method: "POST", url: dispatcher + path, headers: [("Content-Type", "application/json")],
                                      body: Array(try JSONSerialization.data(withJSONObject: body)))
            if let apiKey { request.headers.append(("Authorization", "Bearer \(apiKey)")) }
            request.timeout = .seconds(120)
            let response = try await client.send(request)
            return (response.status, (try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]) ?? [:], response.head)
        }
        print("\nRouting sample prompts (router-gain, Turnout's own router, and RouteLLM's router-mf, each at its threshold calibrated for 30% strong calls):\n")
        print("  gain     gain route mf win   prompt")
        do {
            for prompt in prompts {
                var cells: [String] = []
                for router in ["gain", "mf"] {
                    let (status, decision, _) = try await post("/v1/route", ["model": "router-\(router)", "prompt": prompt])
                    guard status == 200 else {
                        printError("turnout demo: /v1/route answered \(status): \(decision)")
                        return 1
                    }
                    let winRate = decision["win_rate"] as? Double
                    cells.append(winRate.map { String(format: "%.3f", $0) } ?? "n/a")
                    if router == "gain" { cells.append("\(decision["route"] as? String ?? "?")") }
                }
                print("  \(cells[0].padding(toLength: 7, withPad: " ", startingAt: 0))  \(cells[1].padding(toLength: 9, withPad: " ", startingAt: 0))  \(cells[2].padding(toLength: 7, withPad: " ", startingAt: 0))  \(prompt.count > 90 ? String(prompt.prefix(87)) + "..." : prompt)")
            }
            guard complete else {
                print("\nNo upstream keys are set, so no completions were requested. Set OPENAI_API_KEY (and TURNOUT_STRONG_BASE_URL /")
                print("TURNOUT_WEAK_BASE_URL for other OpenAI-compatible servers), or give --dispatcher-config, to see answers too.")
                return 0
            }
            print("\nChat completions through the dispatcher (model router-gain):\n")
            for prompt in [prompts[0], prompts[6]] {
                let (status, reply, head) = try await post("/v1/chat/completions", ["model": "router-gain", "messages": [["role": "user", "content": prompt]]])
                let answer = ((reply["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])?["content"] as? String
                if status == 200, let answer {
                    print("  [\(reply["model"] as? String ?? "?"), route \(head.header("x-turnout-route") ?? "?")] \(prompt)")
                    print("    " + answer.prefix(300).replacingOccurrences(of: "\n", with: " ") + (answer.count > 300 ? "..." : ""))
                } else {
                    print("  [HTTP \(status)] \(prompt): \(((reply["error"] as? [String: Any])?["message"] as? String) ?? "no answer")")
                }
            }
            return 0
        } catch {
            printError("turnout demo: \(error)")
            return 1
        }
    }
}
