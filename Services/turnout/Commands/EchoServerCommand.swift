import Glibc
import TurnoutDiagnostics
import TurnoutRuntime
import TurnoutWire

/// `turnout echo-server`: the diagnostic wire service, for benchmarks and connectivity checks.
enum EchoServerCommand {
    static let spec = CommandSpec(
        name: "turnout echo-server",
        summary: "Serve Echo/Echo and Echo/Sleep on the wire protocol (benchmarks, load tests, connectivity checks).",
        options: ServerOptions.specs(prefix: "TURNOUT_ECHO", defaultListen: "127.0.0.1:7199")
    )

    static let subcommand = Subcommand(name: "echo-server", summary: "Serve the diagnostic Echo service") { arguments in
        await ServiceRunner.main(serviceName: "turnout-echo", spec: spec, arguments: arguments) { _ in
            var registry = HandlerRegistry()
            EchoService.register(in: &registry, pid: getpid())
            return ServiceRunner.Service(registry: registry)
        }
    }
}
