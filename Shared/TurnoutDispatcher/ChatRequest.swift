import TurnoutJSON

/// The parts of a chat completion request the dispatcher reads; the rest passes through untouched.
public struct ChatRequest: Sendable {
    public var model: String
    public var stream: Bool
    /// Whether the client itself asked for the final usage chunk (`stream_options.include_usage`).
    public var clientWantsUsage: Bool
    /// The text routed on: the last user message with text, its text parts joined by newlines;
    /// failing that (a system prompt alone, an assistant turn to continue), the last message
    /// with text of any role. nil when no message has text (images only): such a request takes
    /// `routing.unavailable_route`, there being nothing to route on.
    public var routingText: String?
    /// The last user message with text: what a judge is asked about.
    public var userText: String?
    /// How many messages have the role `user`: shadow judging takes single-turn requests only,
    /// where the routed text is the whole question.
    public var userMessages: Int
    /// The text of the `system` (and `developer`) messages, joined: what a judge must see
    /// besides the question to judge the answer to it.
    public var instructions: String?
    /// The request as received, for rewriting `model` and `stream_options`.
    public var members: JSONObjectMembers

    /// Parses a request body.
    ///
    /// Read with the wire's scanner rather than `JSONDecoder`: this runs on every request, and
    /// decoding the whole conversation into a tree cost a tenth of the dispatcher's CPU.
    /// - Throws: `OpenAIError` 400 saying what is wrong.
    public init(body: [UInt8]) throws(OpenAIError) {
        try self.init(members: try Self.object(body))
    }

    /// Reads a body already split into members (`/v1/route` reads its own fields first).
    init(members: JSONObjectMembers) throws(OpenAIError) {
        self.members = members
        guard let modelValue = members["model"] else { throw .invalidRequest("Missing required parameter: 'model'.", param: "model", code: "missing_required_parameter") }
        let model = try Self.field("model", in: modelValue) { (scanner: inout JSONScanner) throws(JSONError) in try scanner.readString() }
        guard !model.isEmpty else { throw .invalidRequest("Missing required parameter: 'model'.", param: "model", code: "missing_required_parameter") }
        self.model = model
        stream = try members["stream"].map { value throws(OpenAIError) in
            try Self.field("stream", in: value) { (scanner: inout JSONScanner) throws(JSONError) in try scanner.consumeNull() ? false : scanner.readBool() }
        } ?? false
        clientWantsUsage = try members["stream_options"].map { value throws(OpenAIError) in
            try Self.field("stream_options", in: value) { (scanner: inout JSONScanner) throws(JSONError) -> Bool in
                var wanted = false
                if try scanner.consumeNull() { return false }
                try scanner.readObject { (key: String, scanner: inout JSONScanner) throws(JSONError) in
                    if key == "include_usage", try !scanner.consumeNull() { wanted = try scanner.readBool() } else { try scanner.skipValue() }
                }
                return wanted
            }
        } ?? false
        guard let messagesValue = members["messages"] else {
            throw .invalidRequest("Missing required parameter: 'messages'.", param: "messages", code: "missing_required_parameter")
        }
        let messages = try Self.field("messages", in: messagesValue) { (scanner: inout JSONScanner) throws(JSONError) in try Self.readMessages(&scanner) }
        guard messages.count > 0 else {
            throw .invalidRequest("Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
                                  param: "messages", code: "empty_array")
        }
        routingText = messages.lastUser ?? messages.lastText
        userText = messages.lastUser
        userMessages = messages.users
        instructions = messages.instructions.isEmpty ? nil : messages.instructions.joined(separator: "\n\n")
    }

    /// A request body's members.
    /// - Throws: `OpenAIError` 400 when the body is not one JSON object.
    static func object(_ body: [UInt8]) throws(OpenAIError) -> JSONObjectMembers {
        do throws(JSONError) {
            return try JSONObjectMembers(body)
        } catch {
            throw .invalidRequest("the request body is not a JSON object: \(error)")
        }
    }

    /// Reads one member's value with `read`; a type error names the field.
    static func field<T>(_ name: String, in value: ArraySlice<UInt8>, _ read: (inout JSONScanner) throws(JSONError) -> T) throws(OpenAIError) -> T {
        var scanner = JSONScanner(bytes: Array(value))
        do throws(JSONError) {
            return try read(&scanner)
        } catch {
            throw .invalidRequest("invalid request body: \(name) has the wrong type or shape (\(error))", param: name)
        }
    }

    /// The number of messages, of user messages, the text of the last user message with text,
    /// of the last message of any role with text, and the system and developer messages' texts.
    private static func readMessages(_ scanner: inout JSONScanner) throws(JSONError)
        -> (count: Int, users: Int, lastUser: String?, lastText: String?, instructions: [String]) {
        var count = 0
        var users = 0
        var lastUser: String?
        var lastText: String?
        var instructions: [String] = []
        try scanner.readArray { (scanner: inout JSONScanner) throws(JSONError) in
            count += 1
            var role: String?
            var text: String?
            try scanner.readObject { (key: String, scanner: inout JSONScanner) throws(JSONError) in
                switch key {
                case "role": role = try scanner.readString()
                case "content": text = try readContent(&scanner)
                default: try scanner.skipValue()
                }
            }
            let hasText = text.map { !$0.isEmpty } ?? false
            if hasText { lastText = text }
            if role == "user" {
                if hasText { lastUser = text }
                users += 1
            } else if role == "system" || role == "developer", let text, hasText {
                instructions.append(text)
            }
        }
        return (count, users, lastUser, lastText, instructions)
    }

    /// `content` is a string, null, or a list of parts (`{"type": "text", "text": ...}`, images...).
    private static func readContent(_ scanner: inout JSONScanner) throws(JSONError) -> String? {
        if try scanner.consumeNull() { return nil }
        if scanner.peek() == UInt8(ascii: "\"") { return try scanner.readString() }
        var parts: [String] = []
        try scanner.readArray { (scanner: inout JSONScanner) throws(JSONError) in
            var type: String?
            var text: String?
            try scanner.readObject { (key: String, scanner: inout JSONScanner) throws(JSONError) in
                switch key {
                case "type": type = try scanner.readString()
                case "text": text = try scanner.readString()
                default: try scanner.skipValue()
                }
            }
            if type == nil || type == "text", let text { parts.append(text) }
        }
        return parts.joined(separator: "\n")
    }

    /// The body a shadow call sends the other model: the client's request as it is, with
    /// `model` set and the answer asked for whole.
    public func shadowBody(model upstreamModel: String) -> [UInt8] {
        members.replacing([("model", JSONObjectMembers.string(upstreamModel)), ("stream", Array("false".utf8))], removing: ["stream_options"])
    }

    /// The body to send upstream: `model` set to the upstream's id and, for streams, usage requested.
    public func upstreamBody(model upstreamModel: String) -> [UInt8] {
        var replacements: [(key: String, value: [UInt8])] = [("model", JSONObjectMembers.string(upstreamModel))]
        if stream, !clientWantsUsage {
            replacements.append(("stream_options", Array(#"{"include_usage":true}"#.utf8)))
        }
        return members.replacing(replacements)
    }
}
