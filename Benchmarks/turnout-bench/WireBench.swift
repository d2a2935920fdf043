import Foundation
import TurnoutRuntime

/// `turnout bench wire`: echo round trips over loopback against a separate server process,
/// and the same loads against Redis (when installed) measured in the same run.
enum WireBench {
    static let spec = CommandSpec(
        name: "turnout bench wire",
        summary: "Measure the wire protocol: Echo/Echo over loopback at 1 connection, 50 connections, and 50 x 16 pipelined; compare with redis-benchmark -t ping when Redis is installed.",
        options: [
            .flag("json", help: "Print one JSON object instead of a table"),
            OptionSpec("duration", default: "3s", value: "DURATION", help: "Measured time per load"),
            OptionSpec("warmup", default: "500ms", value: "DURATION", help: "Unmeasured warm-up per load"),
            OptionSpec("server-io-threads", default: "1", value: "N", help: "Event-loop threads of the echo server"),
            .flag("no-redis", help: "Skip the Redis baseline"),
        ]
    )

    struct Load {
        let name: String
        let connections: Int
        let pipeline: Int
        let redisRequests: Int
    }

    static let loads = [
        Load(name: "c1", connections: 1, pipeline: 1, redisRequests: 100_000),
        Load(name: "c50", connections: 50, pipeline: 1, redisRequests: 400_000),
        Load(name: "c50p16", connections: 50, pipeline: 16, redisRequests: 2_000_000),
    ]

    static func run(_ arguments: [String]) async -> Int32 {
        let options = ServiceRunner.parseOrExit(spec, arguments)
        do {
            BenchSupport.warnIfDebug()
            let duration = try options.duration("duration")
            let warmup = try options.duration("warmup")
            let ioThreads = try options.int("server-io-threads", range: 1...16)
            let server = try ManagedProcess(
                executable: BenchSupport.turnoutExecutable,
                arguments: ["echo-server", "--listen", "127.0.0.1:0", "--io-threads", String(ioThreads), "--log-level", "info"])
            defer { server.terminate() }
            let port = try server.waitUntilListening()
            var report: [String: Double] = [:]
            var rows: [[String]] = []
            for load in loads {
                let generator = LoadGenerator(port: UInt16(port), connections: load.connections, pipeline: load.pipeline,
                                              method: "Echo/Echo", body: Array("{\"ping\":1}".utf8))
                let result = try generator.run(warmup: warmup, duration: duration)
                guard result.errors == 0 else { throw BenchError("\(result.errors) echo calls failed") }
                report["\(load.name)_rps"] = result.requestsPerSecond.rounded()
                report["\(load.name)_p50_us"] = result.percentileMicroseconds(0.5)
                report["\(load.name)_p99_us"] = result.percentileMicroseconds(0.99)
                rows.append([load.name, "turnout", format(result.requestsPerSecond), format(result.percentileMicroseconds(0.5)), format(result.percentileMicroseconds(0.99))])
            }
            if !options.flag("no-redis"), let redis = RedisBaseline.locate() {
                let figures = try redis.measure(loads.map { ($0.connections, $0.pipeline, $0.redisRequests) })
                for (load, figure) in zip(loads, figures) {
                    report["redis_\(load.name)_rps"] = figure.requestsPerSecond
                    report["redis_\(load.name)_p50_us"] = figure.p50Microseconds
                    report["redis_\(load.name)_p99_us"] = figure.p99Microseconds
                    rows.append([load.name, "redis", format(figure.requestsPerSecond), format(figure.p50Microseconds), format(figure.p99Microseconds)])
                }
                func ratio(_ a: String, _ b: String) -> Double {
                    guard let x = report[a], let y = report[b], y > 0 else { return 0 }
                    return (x / y * 1000).rounded() / 1000
                }
                report["ratio_c1_vs_redis"] = ratio("c1_rps", "redis_c1_rps")
                report["ratio_c50_vs_redis"] = ratio("c50_rps", "redis_c50_rps")
                report["ratio_c50p16_vs_redis"] = ratio("c50p16_rps", "redis_c50p16_rps")
                report["ratio_c1_p50_vs_redis"] = ratio("c1_p50_us", "redis_c1_p50_us")
            } else if !options.flag("no-redis") {
                printError("redis-server or redis-benchmark not found: skipping the Redis baseline (scripts/setup.sh installs them)")
            }
            if options.flag("json") {
                print(BenchSupport.json(report))
            } else {
                print(BenchSupport.table(header: ["load", "server", "req/s", "p50 us", "p99 us"], rows: rows))
                for key in report.keys.sorted() where key.hasPrefix("ratio") {
                    print("\(key): \(report[key] ?? 0)")
                }
            }
            return 0
        } catch {
            printError("turnout bench wire: \(error)")
            return 1
        }
    }

    private static func format(_ value: Double) -> String {
        value >= 1000 ? String(Int(value.rounded())) : String(format: "%.1f", value)
    }
}
