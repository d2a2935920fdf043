import Foundation
import TurnoutRuntime
import TurnoutTransport
import CTurnoutSystem
import Glibc

/// Runs `redis-server` and `redis-benchmark -t ping` on loopback, as the yardstick for the wire server.
struct RedisBaseline {
    struct Figures {
        var requestsPerSecond: Double
        var p50Microseconds: Double
        var p99Microseconds: Double
    }

    let serverPath: String
    let benchmarkPath: String

    /// Finds both executables on PATH; nil when either is missing.
    static func locate() -> RedisBaseline? {
        guard let server = which("redis-server"), let benchmark = which("redis-benchmark") else { return nil }
        return RedisBaseline(serverPath: server, benchmarkPath: benchmark)
    }

    /// Starts a private Redis, runs each load and stops Redis.
    func measure(_ loads: [(connections: Int, pipeline: Int, requests: Int)]) throws -> [Figures] {
        let port = try freePort()
        let server = try ManagedProcess(
            executable: serverPath,
            arguments: ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no", "--daemonize", "no"])
        defer { server.terminate(grace: .seconds(5)) }
        try waitForPort(port)
        return try loads.map { load in
            try runBenchmark(port: port, connections: load.connections, pipeline: load.pipeline, requests: load.requests)
        }
    }

    private func runBenchmark(port: UInt16, connections: Int, pipeline: Int, requests: Int) throws -> Figures {
        // Its stdout (the CSV) goes to a file; ManagedProcess waits with waitpid, not with
        // Foundation's Process.waitUntilExit, which was seen to hang after its child had exited.
        let csv = FileManager.default.temporaryDirectory.appendingPathComponent("redis-benchmark-\(UUID().uuidString).csv")
        defer { try? FileManager.default.removeItem(at: csv) }
        let process = try ManagedProcess(
            executable: benchmarkPath,
            arguments: ["-h", "127.0.0.1", "-p", String(port), "-t", "ping", "-c", String(connections), "-P", String(pipeline), "-n", String(requests), "--csv"],
            logFile: csv)
        process.waitForExit()
        let text = (try? String(contentsOf: csv, encoding: .utf8)) ?? ""
        // CSV: "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
        for line in text.split(separator: "\n") where line.hasPrefix("\"PING_MBULK\"") {
            let fields = line.split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
            guard fields.count >= 7, let rps = Double(fields[1]), let p50 = Double(fields[4]), let p99 = Double(fields[6]) else { continue }
            return Figures(requestsPerSecond: rps, p50Microseconds: p50 * 1000, p99Microseconds: p99 * 1000)
        }
        throw BenchError("could not parse redis-benchmark output: \(text.prefix(300))")
    }

    private static func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    private func freePort() throws -> UInt16 {
        try LoopbackSocket.freePort()
    }

    private func waitForPort(_ port: UInt16) throws {
        for _ in 0..<500 {
            if let fd = try? LoopbackSocket.connect(port: port) {
                close(fd)
                return
            }
            usleep(10_000)
        }
        throw BenchError("redis-server did not start listening on port \(port)")
    }
}
