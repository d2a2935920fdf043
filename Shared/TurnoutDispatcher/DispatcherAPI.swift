import Foundation
import TurnoutTransport
import TurnoutWire

/// The dispatcher's operations on the wire protocol, for services that route or complete
/// without speaking HTTP. Bodies are the same JSON as the HTTP endpoints'.
public enum DispatcherAPI {
    /// A non-streamed chat completion: the body of `POST /v1/chat/completions`, answered with its response.
    public static let complete = MethodDescriptor(service: "Dispatcher", method: "Complete", idempotent: false)
    /// The body of `POST /v1/route`, answered with the decision.
    public static let route = MethodDescriptor(service: "Dispatcher", method: "Route", idempotent: true)

    /// Registers both methods; metadata `authorization` carries the bearer key, `x-request-id` the request id.
    public static func register(_ frontEnd: DispatcherFrontEnd, dispatcher: Dispatcher, in registry: inout HandlerRegistry) {
        registry.registerRaw(complete) { body, context in
            try authorize(frontEnd, context)
            let request: ChatRequest
            do throws(OpenAIError) {
                request = try ChatRequest(body: body)
            } catch {
                throw rpcError(error)
            }
            guard !request.stream else { throw RPCError(.invalidArgument, "Dispatcher/Complete does not stream; use HTTP POST /v1/chat/completions for streams") }
            return try unwrap(await dispatcher.complete(body: body, requestID: frontEnd.requestID(given: context.metadata["x-request-id"])))
        }
        registry.registerRaw(route) { body, context in
            try authorize(frontEnd, context)
            return try unwrap(await dispatcher.route(body: body))
        }
    }

    private static func authorize(_ frontEnd: DispatcherFrontEnd, _ context: CallContext) throws(RPCError) {
        if let refusal = frontEnd.authenticate(authorization: context.metadata["authorization"]) { throw rpcError(refusal) }
    }

    private static func unwrap(_ response: HTTPServerResponse) throws(RPCError) -> [UInt8] {
        guard case let .bytes(bytes) = response.body else { throw RPCError(.internal, "a streamed answer cannot travel as one frame") }
        guard response.status == 200 else {
            let message = (try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
                .flatMap { $0["error"] as? [String: Any] }?["message"] as? String ?? "HTTP \(response.status)"
            throw RPCError(code(forHTTP: response.status), message)
        }
        return bytes
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
