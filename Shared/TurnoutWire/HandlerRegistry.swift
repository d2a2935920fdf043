/// The methods a server serves, each a typed handler behind a uniform byte-level entry point.
///
/// Services register an `RPCMethod` and a handler of its message types; the method's codecs
/// decode the request and encode the answer, and the registry maps thrown errors to status
/// codes, so handlers never see bytes. `Health/Check` and `Reflection/List` are always present.
public struct HandlerRegistry: Sendable {
    /// A handler reduced to bytes in, bytes out.
    typealias Invoke = @Sendable ([UInt8], CallContext) async throws -> [UInt8]

    public struct Entry: Sendable {
        public let descriptor: MethodDescriptor
        let invoke: Invoke
    }

    private var entries: [String: Entry] = [:]
    public let health: HealthMonitor

    public init(health: HealthMonitor = HealthMonitor()) {
        self.health = health
        register(HealthAPI.check) { request, _ in
            guard let service = request.service, !service.isEmpty else {
                return HealthCheckResponse(status: health.overall)
            }
            guard let status = health.status(forService: service) else {
                throw RPCError(.notFound, "unknown service \"\(service)\"")
            }
            return HealthCheckResponse(status: status)
        }
        // Answered in `invoke`, which knows every method registered after this one.
        entries[HealthAPI.list.descriptor.fullName] = Entry(descriptor: HealthAPI.list.descriptor) { _, _ in [] }
    }

    /// Registers `handler` for `method`. Registering a name twice replaces the first.
    ///
    /// A request the method's codec cannot read is answered INVALID_ARGUMENT without calling
    /// the handler; an answer it cannot write is INTERNAL.
    public mutating func register<Request, Response>(
        _ method: RPCMethod<Request, Response>,
        handler: @escaping @Sendable (Request, CallContext) async throws -> Response
    ) {
        let descriptor = method.descriptor
        entries[descriptor.fullName] = Entry(descriptor: descriptor) { body, context in
            let request = try method.request.decode(body)
            return try method.response.encode(try await handler(request, context))
        }
        let builtIn = descriptor.service == HealthAPI.check.descriptor.service || descriptor.service == HealthAPI.list.descriptor.service
        if !builtIn, health.status(forService: descriptor.service) == nil {
            health.setStatus(.serving, forService: descriptor.service)
        }
    }

    public func entry(for method: String) -> Entry? {
        entries[method]
    }

    /// Every registered method, sorted by name.
    public var descriptors: [MethodDescriptor] {
        entries.values.map(\.descriptor).sorted { $0.fullName < $1.fullName }
    }

    /// Runs the handler for `entry` and maps its result or error to what goes on the wire.
    public func invoke(_ entry: Entry, body: [UInt8], context: CallContext) async -> HandlerOutcome {
        if entry.descriptor == HealthAPI.list.descriptor {
            return reflection()
        }
        do {
            let bytes = try await CallContext.$current.withValue(context) {
                try await entry.invoke(body, context)
            }
            return HandlerOutcome(code: .ok, message: "", body: bytes, error: nil)
        } catch let error as RPCError {
            return HandlerOutcome(code: error.code, message: error.message, body: Array("{}".utf8), error: error)
        } catch is CancellationError {
            let error = RPCError(.cancelled, "the call was cancelled")
            return HandlerOutcome(code: .cancelled, message: error.message, body: Array("{}".utf8), error: error)
        } catch {
            // Unknown errors may hold internals: the peer gets a generic message, the log gets the cause.
            let wrapped = RPCError(.internal, "internal error in \(entry.descriptor.fullName)", cause: ErrorDescription(error))
            return HandlerOutcome(code: .internal, message: wrapped.message, body: Array("{}".utf8), error: wrapped)
        }
    }

    private func reflection() -> HandlerOutcome {
        let methods = descriptors.map { ReflectionListResponse.Method(name: $0.fullName, idempotent: $0.idempotent) }
        let services = Array(Set(descriptors.map(\.service))).sorted()
        let body = (try? HealthAPI.list.response.encode(ReflectionListResponse(services: services, methods: methods))) ?? Array("{}".utf8)
        return HandlerOutcome(code: .ok, message: "", body: body, error: nil)
    }
}

/// What a handler produced: the status and body that go on the wire, and the full error for logs.
public struct HandlerOutcome: Sendable {
    public var code: StatusCode
    public var message: String
    public var body: [UInt8]
    public var error: RPCError?
}
