import Foundation
import Testing
import TurnoutCollectorAPI
import TurnoutHTTPClient
import TurnoutTestSupport

/// Named client keys with limits, against the real services: a tenant past its rate limit
/// or its budget gets OpenAI's 429s, and records, the summary and answers name the tenant.
@Suite(.serialized) struct TenantProcessTests {
    @Test func rateLimitsBudgetsCostsAndTenantNames() async throws {
        let keys = TestPaths.temporaryDirectory("tenant-keys").appendingPathComponent("keys")
        try Data("alpha:sk-alpha rpm=6\nbeta:sk-beta budget_usd=0.000001\n".utf8).write(to: keys)
        let stack = try await DispatcherStack.start(extraArguments: ["--api-keys-file", keys.path])
        defer { stack.stop() }
        let body = DispatcherStack.chat("strong-model", "Name three prime numbers.")

        let first = try await stack.send("POST", "/v1/chat/completions", json: body, key: "sk-alpha")
        #expect(first.status == 200, "\(first.text)")
        let cost = try #require(first.head.header("x-turnout-cost-usd").flatMap(Double.init), "a whole answer says what it cost")
        #expect(cost > 0)
        let limited = try await stack.send("POST", "/v1/chat/completions", json: body, key: "sk-alpha")
        #expect(limited.status == 429 && limited.head.header("retry-after") == "10", "\(limited.text)")
        #expect((limited.json["error"] as? [String: Any])?["code"] as? String == "rate_limit_exceeded")

        #expect(try await stack.send("POST", "/v1/chat/completions", json: body, key: "sk-beta").status == 200, "nothing spent yet")
        let broke = try await stack.send("POST", "/v1/chat/completions", json: body, key: "sk-beta")
        #expect(broke.status == 429 && broke.head.header("retry-after") == nil, "\(broke.text)")
        let error = try #require(broke.json["error"] as? [String: Any])
        #expect(error["code"] as? String == "insufficient_quota" && error["type"] as? String == "insufficient_quota")
        #expect(try await stack.send("POST", "/v1/chat/completions", json: body).status == 200, "the other keys are untouched")

        // The collector has the tenants' names, never their keys.
        let collector = try #require(stack.collector)
        var summary: Summary?
        for _ in 0..<50 {
            let response = try await stack.http.send(HTTPRequest(url: "\(collector.httpBase)/summary"))
            summary = try? JSONDecoder().decode(Summary.self, from: Data(response.body))
            if summary?.total.requests == 5 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let tenants = Dictionary(uniqueKeysWithValues: (summary?.byTenant ?? []).map { ($0.tenant, $0) })
        #expect(tenants["alpha"]?.requests == 2 && tenants["beta"]?.requests == 2 && tenants["client-1"]?.requests == 1, "\(String(describing: summary?.byTenant))")
        #expect(abs((tenants["alpha"]?.costUSD ?? 0) - cost) < 1e-9, "the refused request cost nothing")
        let page = String(decoding: try await stack.http.send(HTTPRequest(url: "\(collector.httpBase)/")).body, as: UTF8.self)
        #expect(page.contains("<h2>By tenant</h2>") && !page.contains("sk-alpha"))
    }
}
