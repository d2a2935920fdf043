import Foundation
import TurnoutTelemetry
import TurnoutTransport
import TurnoutWire

/// The options every wire service shares, with environment names derived from its prefix
/// (`TURNOUT_SCORER_LISTEN`, `TURNOUT_SCORER_LOG_LEVEL`, ...).
public enum ServerOptions {
    public static func specs(prefix: String, defaultListen: String) -> [OptionSpec] {
        [
            OptionSpec("listen", env: "\(prefix)_LISTEN", default: defaultListen, value: "HOST:PORT", help: "Address for the wire protocol; port 0 picks a free port"),
            OptionSpec("state-dir", env: "\(prefix)_STATE_DIR", default: ".state", value: "DIR", help: "Directory for the files this service keeps"),
            OptionSpec("instance", env: "\(prefix)_INSTANCE", default: "", value: "NAME", help: "Instance name in logs and metrics; empty means hostname:port"),
            OptionSpec("log-level", env: "\(prefix)_LOG_LEVEL", default: "info", value: "LEVEL", help: "debug, info, warning or error"),
            OptionSpec("max-frame-bytes", env: "\(prefix)_MAX_FRAME_BYTES", default: String(WireLimits.maxFrameSize), value: "N", help: "Largest frame accepted or sent"),
            OptionSpec("io-threads", env: "\(prefix)_IO_THREADS", default: "1", value: "N", help: "Event-loop threads for socket I/O"),
            OptionSpec("max-concurrent-handlers", env: "\(prefix)_MAX_CONCURRENT_HANDLERS", default: "256", value: "N", help: "Handlers running at once; more wait in a queue"),
            OptionSpec("max-in-flight-per-connection", env: "\(prefix)_MAX_IN_FLIGHT_PER_CONNECTION", default: "256", value: "N", help: "Requests in flight on one connection before it stops being read"),
            OptionSpec("read-timeout", env: "\(prefix)_READ_TIMEOUT", default: "30s", value: "DURATION", help: "Close a connection that starts a frame and stalls this long"),
            OptionSpec("idle-timeout", env: "\(prefix)_IDLE_TIMEOUT", default: "10m", value: "DURATION", help: "Close a connection idle this long"),
            OptionSpec("drain-timeout", env: "\(prefix)_DRAIN_TIMEOUT", default: "10s", value: "DURATION", help: "On SIGTERM, how long in-flight requests may finish"),
            OptionSpec("collector", env: "TURNOUT_COLLECTOR", default: "", value: "HOST:PORT,...", help: "Collector to push metrics to (empty: do not report)"),
            OptionSpec("report-interval", env: "TURNOUT_REPORT_INTERVAL", default: "5s", value: "DURATION", help: "How often metrics are pushed to the collector"),
        ]
    }

    public static func serverConfiguration(_ options: ParsedOptions) throws(ConfigurationError) -> ServerConfiguration {
        var configuration = ServerConfiguration(listen: try options.hostPort("listen"))
        configuration.maxFrameSize = try options.int("max-frame-bytes", range: 64...(1 << 30))
        configuration.ioThreads = try options.int("io-threads", range: 1...64)
        configuration.maxConcurrentHandlers = try options.int("max-concurrent-handlers", range: 1...100_000)
        configuration.maxInFlightPerConnection = try options.int("max-in-flight-per-connection", range: 1...100_000)
        configuration.readTimeout = try options.duration("read-timeout")
        configuration.idleTimeout = try options.duration("idle-timeout")
        configuration.drainTimeout = try options.duration("drain-timeout")
        guard configuration.readTimeout > .zero, configuration.idleTimeout > .zero else {
            throw .invalid("--read-timeout and --idle-timeout must be positive")
        }
        return configuration
    }

    public static func logger(service: String, _ options: ParsedOptions) throws(ConfigurationError) -> Logger {
        let levelName = options.string("log-level") ?? "info"
        guard let level = Logger.Level(name: levelName) else {
            throw .invalid("--log-level must be debug, info, warning or error, got \"\(levelName)\"")
        }
        var fields: [String: LogValue] = [:]
        if let instance = options.string("instance"), !instance.isEmpty { fields["instance"] = .string(instance) }
        return Logger(service: service, minimumLevel: level, baseFields: fields)
    }

    /// The state directory, created if missing.
    public static func stateDirectory(_ options: ParsedOptions) throws(ConfigurationError) -> URL {
        let path = options.string("state-dir") ?? ".state"
        let url = URL(fileURLWithPath: path, isDirectory: true)
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw .invalid("--state-dir \(path): cannot create directory: \(error.localizedDescription)")
        }
        return url
    }
}
