import TurnoutJSON
import TurnoutWire

/// The dispatcher's operations on the wire protocol, for services that route or complete
/// without speaking HTTP. Bodies are the same JSON as the HTTP endpoints'; metadata
/// `authorization` carries the bearer key and `x-request-id` the request id.
public enum DispatcherAPI {
    /// A non-streamed chat completion: the body of `POST /v1/chat/completions`, answered with its response.
    public static let complete = RPCMethod(MethodDescriptor(service: "Dispatcher", method: "Complete", idempotent: false),
                                           request: MessageCodec<ChatRequest>.handCoded, response: .rawJSON)
    /// The body of `POST /v1/route`, answered with the decision.
    public static let route = RPCMethod(MethodDescriptor(service: "Dispatcher", method: "Route", idempotent: true),
                                        request: MessageCodec<RouteRequest>.handCoded, response: MessageCodec<RouteAnswer>.handCoded)

    /// Registers both methods.
    public static func register(_ frontEnd: DispatcherFrontEnd, dispatcher: Dispatcher, in registry: inout HandlerRegistry) {
        registry.register(complete) { request, context in
            let client = try authorize(frontEnd, context)
            guard !request.stream else { throw RPCError(.invalidArgument, "Dispatcher/Complete does not stream; use HTTP POST /v1/chat/completions for streams") }
            let result = await dispatcher.complete(request, requestID: frontEnd.requestID(given: context.metadata["x-request-id"]), client: client)
            // The frame is written as soon as this returns; the hook may wait as little.
            if let afterDelivery = result.afterDelivery { Task { afterDelivery() } }
            switch result.answer {
            case let .completion(body): return body
            case let .failure(error): throw rpcError(error)
            case .stream: throw RPCError(.internal, "a streamed answer cannot travel as one frame")
            }
        }
        registry.register(route) { request, context in
            _ = try authorize(frontEnd, context)
            do throws(OpenAIError) {
                return try await dispatcher.route(request)
            } catch {
                throw rpcError(error)
            }
        }
    }

    /// The calling client (see `DispatcherFrontEnd.identify`), or UNAUTHENTICATED.
    private static func authorize(_ frontEnd: DispatcherFrontEnd, _ context: CallContext) throws(RPCError) -> Int? {
        switch frontEnd.identify(authorization: context.metadata["authorization"]) {
        case let .success(client): return client
        case let .failure(refusal): throw rpcError(refusal)
        }
    }

    static func rpcError(_ error: OpenAIError) -> RPCError {
        RPCError(code(forHTTP: error.status), error.message)
    }

    /// The gRPC status that matches an HTTP status, as grpc-gateway maps them.
    static func code(forHTTP status: Int) -> StatusCode {
        switch status {
        case 400: .invalidArgument
        case 401: .unauthenticated
        case 403: .permissionDenied
        case 404: .notFound
        case 409: .aborted
        case 429: .resourceExhausted
        case 499: .cancelled
        case 501: .unimplemented
        case 502, 503: .unavailable
        case 504: .deadlineExceeded
        default: status < 500 ? .failedPrecondition : .internal
        }
    }
}

/// A chat request on the wire is its body as the client wrote it, read once.
extension ChatRequest: HandCodedMessage {
    public func encoded() -> [UInt8] {
        members.bytes
    }

    public static func decoded(from bytes: [UInt8]) throws(RPCError) -> ChatRequest {
        do throws(OpenAIError) {
            return try ChatRequest(body: bytes)
        } catch {
            throw DispatcherAPI.rpcError(error)
        }
    }
}

/// A route request on the wire is the body of `POST /v1/route`.
extension RouteRequest: HandCodedMessage {
    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        JSONWriter.appendRaw("{\"model\":", to: &bytes)
        JSONWriter.appendString(model, to: &bytes)
        JSONWriter.appendRaw(",\"prompt\":", to: &bytes)
        if let text { JSONWriter.appendString(text, to: &bytes) } else { JSONWriter.appendRaw("null", to: &bytes) }
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }

    public static func decoded(from bytes: [UInt8]) throws(RPCError) -> RouteRequest {
        do throws(OpenAIError) {
            return try RouteRequest(body: bytes)
        } catch {
            throw DispatcherAPI.rpcError(error)
        }
    }
}
