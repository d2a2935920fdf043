import Foundation
import TurnoutHTTPClient
import TurnoutRuntime
import TurnoutTransport

/// A real Prometheus server (from the Debian package scripts/setup.sh installs) scraping
/// one target every second, queried through its HTTP API.
public struct PrometheusProcess: Sendable {
    public let process: ManagedProcess
    public let port: UInt16
    private let http: HTTPClient

    public static func start(scraping target: String) throws -> PrometheusProcess {
        let directory = TestPaths.temporaryDirectory("prometheus")
        let port = try LoopbackSocket.freePort()
        let config = """
            global:
              scrape_interval: 1s
            scrape_configs:
              - job_name: turnout
                static_configs:
                  - targets: ['\(target)']
            """
        try config.write(to: directory.appendingPathComponent("prometheus.yml"), atomically: true, encoding: .utf8)
        let process = try ManagedProcess(executable: "/usr/bin/prometheus", arguments: [
            "--config.file=\(directory.appendingPathComponent("prometheus.yml").path)",
            "--storage.tsdb.path=\(directory.appendingPathComponent("data").path)",
            "--web.listen-address=127.0.0.1:\(port)",
        ])
        return PrometheusProcess(process: process, port: port, http: HTTPClient())
    }

    public func stop() {
        http.shutdown()
        process.terminate(grace: .seconds(5))
    }

    /// An instant PromQL query: each result's value by the value of label `by` (empty for none).
    /// Empty while Prometheus has not scraped yet.
    public func query(_ promQL: String, by label: String = "") async throws -> [String: Double] {
        let encoded = promQL.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? promQL
        let response = try await http.send(HTTPRequest(url: "http://127.0.0.1:\(port)/api/v1/query?query=\(encoded)"))
        guard response.status == 200, let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
              let data = object["data"] as? [String: Any], let results = data["result"] as? [[String: Any]] else { return [:] }
        var answer: [String: Double] = [:]
        for result in results {
            let key = label.isEmpty ? "" : (result["metric"] as? [String: String])?[label] ?? ""
            answer[key] = ((result["value"] as? [Any])?.last as? String).flatMap(Double.init)
        }
        return answer
    }

    /// Waits until `promQL` answers `expected`, returning the last answer either way.
    public func waitFor(_ promQL: String, by label: String = "", toEqual expected: [String: Double], timeout: Duration = .seconds(60)) async throws -> [String: Double] {
        var answer: [String: Double] = [:]
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            answer = (try? await query(promQL, by: label)) ?? [:]
            if answer == expected { break }
            guard process.isRunning else { throw RawError("prometheus exited: \(process.recentLog())") }
            try await Task.sleep(for: .milliseconds(250))
        }
        return answer
    }

    public func targetsAreUp() async throws -> Bool {
        let targets = try await http.send(HTTPRequest(url: "http://127.0.0.1:\(port)/api/v1/targets"))
        return String(decoding: targets.body, as: UTF8.self).contains("\"health\":\"up\"")
    }
}
