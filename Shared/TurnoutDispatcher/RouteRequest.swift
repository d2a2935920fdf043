import TurnoutJSON

/// `POST /v1/route` and `Dispatcher/Route`: `{"model", "messages"}` as for a chat completion,
/// or `{"model", "prompt"}` for a bare prompt. The answer is the decision; no upstream is called.
public struct RouteRequest: Sendable {
    public var model: String
    public var text: String?

    public init(model: String, text: String?) {
        self.model = model
        self.text = text
    }

    /// Reads a body once: a `prompt` member makes it the bare form, otherwise it is a chat request.
    /// - Throws: `OpenAIError` 400 saying what is wrong.
    public init(body: [UInt8]) throws(OpenAIError) {
        let members = try ChatRequest.object(body)
        guard let prompt = members["prompt"], prompt.first != UInt8(ascii: "n") else {
            let chat = try ChatRequest(members: members)
            self.init(model: chat.model, text: chat.routingText)
            return
        }
        let text = try ChatRequest.field("prompt", in: prompt) { (scanner: inout JSONScanner) throws(JSONError) in try scanner.readString() }
        let model = try members["model"].map { value throws(OpenAIError) in
            try ChatRequest.field("model", in: value) { (scanner: inout JSONScanner) throws(JSONError) in try scanner.consumeNull() ? "" : scanner.readString() }
        } ?? ""
        guard !model.isEmpty else { throw .invalidRequest("you must provide a model parameter", param: "model") }
        self.init(model: model, text: text)
    }
}
