import CTurnoutSystem
import Dispatch
import Foundation
import TurnoutTelemetry
import TurnoutTransport
import TurnoutWire

/// Runs one wire service from `main`: options, logs, server, signals, graceful exit.
///
/// A service's `main` supplies its command spec and a function that builds its handlers;
/// everything else (parsing, `--help`, binding, SIGTERM drain, SIGHUP reload) lives here.
public enum ServiceRunner {
    /// What a service hands back once built.
    public struct Service: Sendable {
        public var registry: HandlerRegistry
        /// An HTTP server to run beside the wire server (started after it, drained with it).
        public var http: HTTPServer?
        /// Called on SIGHUP, for reloading files.
        public var reload: (@Sendable () async -> Void)?
        /// Called after the servers have drained, to flush and close resources.
        public var stop: (@Sendable () async -> Void)?
        /// False for the collector itself, which exposes its own metrics directly.
        public var reportsMetrics = true

        public init(registry: HandlerRegistry, http: HTTPServer? = nil, reload: (@Sendable () async -> Void)? = nil, stop: (@Sendable () async -> Void)? = nil) {
            self.registry = registry
            self.http = http
            self.reload = reload
            self.stop = stop
        }
    }

    /// What a service's build function gets: its options, its logger and the process's metrics.
    public struct Context: Sendable {
        public let options: ParsedOptions
        public let logger: Logger
        public let metrics: MetricsRegistry
    }

    /// Parses the command line, builds the service, serves until SIGTERM or SIGINT, drains and exits 0.
    /// Exits 2 on bad options and 1 when the service cannot start.
    public static func main(
        serviceName: String,
        spec: CommandSpec,
        arguments: [String] = Array(CommandLine.arguments.dropFirst()),
        build: (Context) async throws -> Service
    ) async -> Never {
        let options = parseOrExit(spec, arguments)
        ProcessSetup.prepareForNetworking()
        exitWithParentIfAsked()
        let logger: Logger
        let configuration: ServerConfiguration
        do throws(ConfigurationError) {
            logger = try ServerOptions.logger(service: serviceName, options)
            configuration = try ServerOptions.serverConfiguration(options)
        } catch {
            exitWithUsageError(spec, error)
        }
        let signals = SignalListener(signals: [SIGTERM, SIGINT, SIGHUP])
        let metrics = MetricsRegistry()
        let service: Service
        do {
            service = try await build(Context(options: options, logger: logger, metrics: metrics))
        } catch let error as ConfigurationError {
            exitWithUsageError(spec, error)
        } catch {
            logger.error("could not start: \(error)")
            exit(1)
        }
        let server: WireServer
        do throws(TransportError) {
            server = try WireServer(configuration: configuration, registry: service.registry, logger: logger, metrics: metrics)
            try server.start()
        } catch {
            logger.error("could not listen on \(configuration.listen): \(error)")
            exit(1)
        }
        if let http = service.http {
            do throws(TransportError) {
                try http.start()
            } catch {
                logger.error("could not listen for HTTP on \(http.configuration.listen): \(error)")
                exit(1)
            }
            let httpAddress = http.localAddress
            logger.lifecycle("http listening", [
                "address": .string(httpAddress?.description ?? http.configuration.listen.description),
                "port": .int(Int64(httpAddress?.port ?? http.configuration.listen.port)),
            ])
        }
        let address = server.localAddress
        let instance = options.string("instance").flatMap { $0.isEmpty ? nil : $0 }
            ?? "\(ProcessInfo.processInfo.hostName):\(address?.port ?? configuration.listen.port)"
        var reporter: MetricsReporter?
        if service.reportsMetrics, let collector = options.string("collector"), !collector.isEmpty {
            do {
                let targets = try options.hostPorts("collector")
                let interval = try options.duration("report-interval")
                let started = try MetricsReporter(collector: targets, registry: metrics, service: serviceName, instance: instance, logger: logger)
                started.start(every: interval)
                reporter = started
            } catch {
                logger.error("could not set up metrics reporting: \(error)")
                exit(2)
            }
        }
        logger.lifecycle("listening", [
            "address": .string(address?.description ?? configuration.listen.description),
            "port": .int(Int64(address?.port ?? configuration.listen.port)),
            "pid": .int(Int64(getpid())),
            "instance": .string(instance),
        ])
        for await signal in signals.stream {
            if signal == SIGHUP {
                logger.info("SIGHUP: reloading")
                await service.reload?()
                continue
            }
            logger.lifecycle("draining", ["signal": .int(Int64(signal)), "drain_timeout_ms": .int(Int64(configuration.drainTimeout.nanoseconds / 1_000_000))])
            break
        }
        async let wireDrained: Void = server.shutdown()
        async let httpDrained: Void? = service.http?.shutdown()
        _ = await (wireDrained, httpDrained)
        await reporter?.stop()
        await service.stop?()
        logger.lifecycle("stopped")
        exit(0)
    }

    /// Under a supervisor that asks for it (`TURNOUT_EXIT_WITH_PARENT=1`, as `ManagedProcess` and
    /// `turnout up` set), the service gets SIGTERM when its parent dies, so a killed test run
    /// or stack leaves no orphans holding ports.
    ///
    /// A watcher thread polls the parent pid rather than using `PR_SET_PDEATHSIG`: the kernel
    /// fires that signal when the parent *thread* that spawned us exits, and a supervisor
    /// written with Swift concurrency spawns from pool threads that come and go.
    static func exitWithParentIfAsked() {
        guard ProcessInfo.processInfo.environment["TURNOUT_EXIT_WITH_PARENT"] == "1" else { return }
        let parent = getppid()
        // The parent may have died before we looked.
        if parent == 1 { exit(0) }
        let watcher = Thread {
            while getppid() == parent { usleep(250_000) }
            kill(getpid(), SIGTERM)
        }
        watcher.name = "parent-watch"
        watcher.start()
    }

    /// Parses options, printing help (exit 0) or the error (exit 2) when parsing does not yield options.
    public static func parseOrExit(_ spec: CommandSpec, _ arguments: [String]) -> ParsedOptions {
        do throws(ConfigurationError) {
            return try spec.parse(arguments, environment: ProcessInfo.processInfo.environment)
        } catch {
            exitWithUsageError(spec, error)
        }
    }

    public static func exitWithUsageError(_ spec: CommandSpec, _ error: ConfigurationError) -> Never {
        switch error {
        case let .helpRequested(text):
            print(text, terminator: "")
            exit(0)
        case let .invalid(message):
            FileHandle.standardError.write(Data("\(spec.name): \(message)\n".utf8))
            exit(2)
        }
    }
}
