import Foundation
import TurnoutLocalStack
import TurnoutRuntime
import TurnoutTelemetry

/// `turnout up`: the whole stack as local processes, until Ctrl-C or `turnout down`.
enum UpCommand {
    static let spec = CommandSpec(
        name: "turnout up",
        summary: "Start the collector, the embedder, two scorer replicas and the dispatcher on loopback; wait until each is SERVING; print the endpoints; stop them all on Ctrl-C, SIGTERM or `turnout down`.",
        options: [
            OptionSpec("state-dir", env: "TURNOUT_STATE_DIR", default: ".state/stack", value: "DIR", help: "Logs (DIR/logs), databases and stack.json go here"),
            OptionSpec("ports", default: "standard", value: "standard|free", help: "standard: each service's default port (scorers 7102 and 7112); free: any free ports"),
            OptionSpec("routers-dir", env: "TURNOUT_SCORER_ROUTERS_DIR", default: "routers", value: "DIR", help: "Router artifacts for the scorers"),
            OptionSpec("model-dir", env: "TURNOUT_MODEL_DIR", default: "models/all-MiniLM-L6-v2", value: "DIR", help: "The embedding model"),
            OptionSpec("dispatcher-config", env: "TURNOUT_DISPATCHER_CONFIG", default: "", value: "FILE", help: "The dispatcher's upstream configuration (docs/dispatcher.md); empty: TURNOUT_STRONG_*/TURNOUT_WEAK_* variables"),
            OptionSpec("api-keys", env: "TURNOUT_DISPATCHER_API_KEYS", default: "", value: "KEY,...", help: "Client keys the dispatcher requires (empty: none)"),
            .flag("demo", help: "Once up, route sample prompts of varied difficulty (and complete two of them when upstream keys are set)"),
            .flag("exit-after-demo", help: "With --demo: stop the stack once the demonstration has run"),
        ]
    )

    static let subcommand = Subcommand(name: "up", summary: "Run the whole stack locally (Ctrl-C or `turnout down` stops it)") { arguments in
        let options = ServiceRunner.parseOrExit(spec, arguments)
        let logger = Logger(service: "turnout-up", minimumLevel: .warning)
        let stack: LocalStack
        do {
            // Absolute paths, so a service restarted later (by the supervisor or by hand from
            // stack.json's command lines) finds its files from any directory.
            let state = URL(fileURLWithPath: options.string("state-dir") ?? ".state/stack", isDirectory: true).standardizedFileURL
            try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
            let ports: LocalStack.Ports
            switch options.string("ports") {
            case "free": ports = try LocalStack.Ports.free()
            case "standard": ports = .standard
            default: throw ConfigurationError.invalid("--ports must be standard or free")
            }
            var configuration = LocalStack.Configuration(
                stateDirectory: state, ports: ports, executableDirectory: ManagedProcess.currentExecutableDirectory,
                routersDirectory: absolute(try options.require("routers-dir")), modelDirectory: absolute(try options.require("model-dir")),
                dispatcherConfig: options.string("dispatcher-config").flatMap { $0.isEmpty ? nil : absolute($0) })
            configuration.apiKeys = (options.string("api-keys") ?? "").split(separator: ",").map(String.init)
            stack = LocalStack(configuration: configuration, logger: logger)
        } catch {
            printError("turnout up: \(error)")
            return 2
        }
        let signals = SignalListener(signals: [SIGINT, SIGTERM])
        print("Starting the stack (logs in \(stack.configuration.stateDirectory.path)/logs)...")
        do {
            try await stack.start()
        } catch {
            printError("turnout up: \(error)")
            return 1
        }
        let ports = stack.configuration.ports
        print("""
        Turnout is up:
          dispatcher  http://127.0.0.1:\(ports.dispatcherHTTP)/v1   (OpenAI-compatible; wire 127.0.0.1:\(ports.dispatcherWire))
          embedder    wire 127.0.0.1:\(ports.embedder)
          scorers     wire \(ports.scorers.map { "127.0.0.1:\($0)" }.joined(separator: ", "))
          collector   http://127.0.0.1:\(ports.collectorHTTP)/metrics  /summary  /   (wire 127.0.0.1:\(ports.collectorWire))
        Stop with Ctrl-C or `turnout down --state-dir \(stack.configuration.stateDirectory.path)`.
        """)
        if options.flag("demo") {
            let key = stack.configuration.apiKeys.first
            let complete = stack.configuration.dispatcherConfig != nil || upstreamKeyIsSet()
            _ = await DemoCommand.run(dispatcher: "http://127.0.0.1:\(ports.dispatcherHTTP)", apiKey: key, complete: complete)
            if options.flag("exit-after-demo") {
                await stack.stop()
                return 0
            }
        }
        // Supervise until a signal: a child that dies is restarted, and said so.
        let supervisor = Task { await stack.supervise { print($0) } }
        for await _ in signals.stream { break }
        supervisor.cancel()
        _ = await supervisor.value
        print("Stopping...")
        await stack.stop()
        print("Stopped.")
        return 0
    }

    /// Whether the key variable the dispatcher reads for the strong model has a value.
    static func upstreamKeyIsSet() -> Bool {
        let environment = ProcessInfo.processInfo.environment
        let variable = environment["TURNOUT_STRONG_API_KEY_ENV"].flatMap { $0.isEmpty ? nil : $0 } ?? "OPENAI_API_KEY"
        return !(environment[variable] ?? "").isEmpty
    }

    /// `path` made absolute against the current directory.
    static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }
}
