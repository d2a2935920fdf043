import Foundation
import TurnoutWire

/// `POST /v1/route` and `Dispatcher/Route`: `{"model", "messages"}` as for a chat completion,
/// or `{"model", "prompt"}` for a bare prompt. The answer is the decision, no upstream is called.
public struct RouteRequest: Sendable {
    public var model: String
    public var text: String?

    private struct PromptView: Decodable {
        var model: String?
        var prompt: String?
    }

    public init(body: [UInt8]) throws(OpenAIError) {
        let view: PromptView
        do {
            view = try JSONDecoder().decode(PromptView.self, from: Data(body))
        } catch {
            throw .invalidRequest("invalid request body: expected {\"model\", \"messages\"} or {\"model\", \"prompt\"}")
        }
        if let prompt = view.prompt {
            guard let model = view.model, !model.isEmpty else { throw .invalidRequest("you must provide a model parameter", param: "model") }
            self.model = model
            text = prompt
        } else {
            let chat = try ChatRequest(body: body)
            model = chat.model
            text = chat.routingText
        }
    }

    /// The decision as JSON.
    public static func answer(_ decision: RouteDecision, totalMs: Double) -> [UInt8] {
        var bytes: [UInt8] = []
        JSONWriter.appendRaw("{\"router\":", to: &bytes)
        JSONWriter.appendString(decision.router, to: &bytes)
        JSONWriter.appendRaw(",\"threshold\":", to: &bytes)
        append(decision.threshold, to: &bytes)
        JSONWriter.appendRaw(",\"win_rate\":", to: &bytes)
        append(decision.winRate, to: &bytes)
        JSONWriter.appendRaw(",\"route\":", to: &bytes)
        JSONWriter.appendString(decision.route, to: &bytes)
        JSONWriter.appendRaw(",\"model\":", to: &bytes)
        JSONWriter.appendString(decision.model, to: &bytes)
        JSONWriter.appendRaw(",\"default_route\":", to: &bytes)
        JSONWriter.appendRaw(decision.defaultRoute ? "true" : "false", to: &bytes)
        JSONWriter.appendRaw(",\"router_version\":", to: &bytes)
        if let version = decision.routerVersion { JSONWriter.appendString(version, to: &bytes) } else { JSONWriter.appendRaw("null", to: &bytes) }
        JSONWriter.appendRaw(",\"timings\":{\"embed_ms\":", to: &bytes)
        append(decision.embedMs, to: &bytes)
        JSONWriter.appendRaw(",\"score_ms\":", to: &bytes)
        append(decision.scoreMs, to: &bytes)
        JSONWriter.appendRaw(",\"total_ms\":", to: &bytes)
        append(totalMs, to: &bytes)
        JSONWriter.appendRaw("}}", to: &bytes)
        return bytes
    }

    private static func append(_ value: Double?, to bytes: inout [UInt8]) {
        guard let value, value.isFinite else {
            JSONWriter.appendRaw("null", to: &bytes)
            return
        }
        bytes.append(contentsOf: String(value).utf8)
    }
}
