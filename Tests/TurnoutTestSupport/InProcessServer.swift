import TurnoutTelemetry
import TurnoutTransport
import TurnoutWire

/// A wire server on a free loopback port inside the test process.
public final class InProcessServer: Sendable {
    public let server: WireServer
    public let port: UInt16
    public let logs: MemoryLogSink
    public let metrics = MetricsRegistry()

    /// Starts serving `registry`; `configure` adjusts the configuration (timeouts, limits) first.
    public init(registry: HandlerRegistry, configure: (inout ServerConfiguration) -> Void = { _ in }) throws {
        var configuration = ServerConfiguration(listen: HostPort(host: "127.0.0.1", port: 0))
        configure(&configuration)
        let logs = MemoryLogSink()
        self.logs = logs
        server = try WireServer(configuration: configuration, registry: registry, logger: Logger(service: "test-server", minimumLevel: .debug, sink: logs), metrics: metrics)
        try server.start()
        guard let port = server.localAddress?.port else { throw TransportError.invalidAddress("no bound port") }
        self.port = port
    }

    public var target: HostPort { HostPort(host: "127.0.0.1", port: port) }

    public func stop() async {
        await server.shutdown()
    }
}

extension WireClient {
    /// A client for tests, logging to memory.
    public static func forTesting(_ targets: [HostPort], configure: (inout ClientConfiguration) -> Void = { _ in }) throws -> WireClient {
        var configuration = ClientConfiguration(targets: targets)
        configure(&configuration)
        return try WireClient(configuration: configuration, logger: Logger(service: "test-client", minimumLevel: .error, sink: MemoryLogSink()))
    }
}
