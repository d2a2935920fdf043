import Dispatch
import Foundation
import TurnoutHTTPClient
import Synchronization
import TurnoutRuntime

/// What the benchmarks ask of a running stack over HTTP, as a client would.
struct BenchHTTP: Sendable {
    let http: HTTPClient
    let key: String

    private func post(_ url: String, _ body: [String: Any]) async throws -> (status: Int, object: [String: Any]) {
        var request = HTTPRequest(method: "POST", url: url, headers: [("Content-Type", "application/json"), ("Authorization", "Bearer \(key)")],
                                  body: Array(try JSONSerialization.data(withJSONObject: body)))
        request.timeout = .seconds(60)
        let response = try await http.send(request)
        return (response.status, (try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]) ?? [:])
    }

    private func get(_ url: String) async throws -> (status: Int, body: [UInt8]) {
        var request = HTTPRequest(url: url)
        request.timeout = .seconds(60)
        let response = try await http.send(request)
        return (response.status, response.body)
    }

    /// Waits until the dispatcher says it is ready (embedder, scorers and routers up).
    func waitUntilReady(_ dispatcher: String, timeout: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let (status, _) = try? await get(dispatcher + "/ready"), status == 200 { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw BenchError("\(dispatcher) was not ready within \(timeout)")
    }

    /// The router's win rate for each prompt (`POST /v1/route`, router-gain), and its version.
    func route(_ prompts: [String], through dispatcher: String, router: String = "gain") async throws -> (winRates: [Double], version: String) {
        var rates: [Double] = []
        var version = ""
        for prompt in prompts {
            let (status, decision) = try await post(dispatcher + "/v1/route", ["model": "router-\(router)", "prompt": prompt])
            guard status == 200, let rate = decision["win_rate"] as? Double, decision["default_route"] as? Bool == false else {
                throw BenchError("/v1/route answered \(status): \(decision)")
            }
            rates.append(rate)
            version = decision["router_version"] as? String ?? version
        }
        return (rates, version)
    }

    /// Each prompt as one chat completion (router-gain), `clients` at a time; every one must succeed.
    func complete(_ prompts: [String], through dispatcher: String, clients: Int, router: String = "gain") async throws {
        let next = LockedCounter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<clients {
                group.addTask {
                    while let index = next.take(below: prompts.count) {
                        let (status, answer) = try await post(dispatcher + "/v1/chat/completions",
                                                              ["model": "router-\(router)", "messages": [["role": "user", "content": prompts[index]]]])
                        guard status == 200 else { throw BenchError("a chat completion answered \(status): \(answer)") }
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// Waits until the collector exports `count` shadow battles; returns how many it stores.
    func waitForBattles(_ collector: String, count: Int, timeout: Duration) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        while true {
            let (status, body) = try await get(collector + "/battles?source=shadow")
            guard status == 200 else { throw BenchError("GET /battles answered \(status)") }
            let stored = body.split(separator: 0x0A).count
            if stored >= count || ContinuousClock.now >= deadline { return stored }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Battles the dispatchers judged (`turnout_shadow_judgements_total` with a winner or a
    /// tie), summed from the collector's Prometheus endpoint; waits up to `timeout` for the
    /// dispatchers' next metric reports to reach `atLeast`.
    func judged(_ collector: String, atLeast expected: Int, timeout: Duration) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        while true {
            let (_, body) = try await get(collector + "/metrics")
            var total = 0.0
            for line in String(decoding: body, as: UTF8.self).split(separator: "\n") where line.hasPrefix("turnout_shadow_judgements_total{") {
                guard line.contains("outcome=\"strong\"") || line.contains("outcome=\"weak\"") || line.contains("outcome=\"tie\"") else { continue }
                total += Double(line.split(separator: " ").last ?? "") ?? 0
            }
            if Int(total) >= expected || ContinuousClock.now >= deadline { return Int(total) }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Waits until the router the dispatcher routes with is `version`.
    func waitForVersion(_ version: String, of prompt: String, through dispatcher: String, timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await route([prompt], through: dispatcher).version == version { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw BenchError("the scorers did not load version \(version) within \(timeout)")
    }

    /// Latencies of chat completions to two dispatchers in turns, blocks of 50 each, on the
    /// same prompts: p50 of each side. After a block with shadowing on, its shadow jobs are
    /// let finish (their battles reach `collector`) before the next block without, so that
    /// the work shadowing costs is counted on its own side only.
    func alternatingLatencies(on: String, off: String, collector: String, prompts: [String], perSide: Int) async throws -> (on: Latency, off: Latency) {
        var onTimes: [Double] = [], offTimes: [Double] = []
        var index = 0
        let block = 50
        while onTimes.count < perSide || offTimes.count < perSide {
            for (dispatcher, isOn) in [(off, false), (on, true)] {
                let before = isOn ? try await battleCount(collector) : 0
                for _ in 0..<block {
                    let prompt = prompts[index % prompts.count]
                    index += 1
                    let start = DispatchTime.now().uptimeNanoseconds
                    let (status, answer) = try await post(dispatcher + "/v1/chat/completions", ["model": "router-gain", "messages": [["role": "user", "content": prompt]]])
                    guard status == 200 else { throw BenchError("a chat completion answered \(status): \(answer)") }
                    let milliseconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
                    if isOn { onTimes.append(milliseconds) } else { offTimes.append(milliseconds) }
                }
                if isOn { _ = try await waitForBattles(collector, count: before + block, timeout: .seconds(30)) }
            }
        }
        return (Latency(onTimes), Latency(offTimes))
    }

    /// Shadow battles the collector holds now.
    func battleCount(_ collector: String) async throws -> Int {
        try await waitForBattles(collector, count: 0, timeout: .zero)
    }

    struct Latency {
        let p50: Double

        init(_ times: [Double]) {
            let sorted = times.sorted()
            p50 = sorted.isEmpty ? 0 : sorted[sorted.count / 2]
        }
    }
}

/// Hands out indexes 0, 1, 2, ... to concurrent workers.
final class LockedCounter: Sendable {
    private let next = Mutex(0)

    func take(below limit: Int) -> Int? {
        next.withLock { value in
            guard value < limit else { return nil }
            defer { value += 1 }
            return value
        }
    }
}
