/// The methods every server answers, whatever it serves: gRPC's health check and a list of
/// its methods, for probes, balancers and `turnout call`.
public enum HealthAPI {
    /// NOT_FOUND for a service this server does not serve.
    public static let check = RPCMethod<HealthCheckRequest, HealthCheckResponse>(service: "Health", method: "Check", idempotent: true)
    public static let list = RPCMethod<EmptyMessage, ReflectionListResponse>(service: "Reflection", method: "List", idempotent: true)
}

/// `Health/Check` request: no service means the server as a whole.
public struct HealthCheckRequest: Codable, Sendable {
    public var service: String?
    public init(service: String? = nil) { self.service = service }
}

public struct HealthCheckResponse: Codable, Sendable {
    public var status: ServingStatus
    public init(status: ServingStatus) { self.status = status }
}

/// `Reflection/List` response.
public struct ReflectionListResponse: Codable, Sendable {
    public struct Method: Codable, Sendable, Equatable {
        public var name: String
        public var idempotent: Bool
    }

    public var services: [String]
    public var methods: [Method]
}
