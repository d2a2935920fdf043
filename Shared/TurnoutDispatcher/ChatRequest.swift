import Foundation
import TurnoutWire

/// The parts of a chat completion request the dispatcher reads; the rest passes through untouched.
public struct ChatRequest: Sendable {
    public var model: String
    public var stream: Bool
    /// Whether the client itself asked for the final usage chunk (`stream_options.include_usage`).
    public var clientWantsUsage: Bool
    /// The text routed on: the last user message, its text parts joined by newlines.
    public var routingText: String?
    /// The request as received, for rewriting `model` and `stream_options`.
    public var members: JSONObjectMembers

    private struct View: Decodable {
        struct Message: Decodable {
            var role: String?
            var content: Content?
        }

        struct StreamOptions: Decodable {
            var includeUsage: Bool?

            enum CodingKeys: String, CodingKey {
                case includeUsage = "include_usage"
            }
        }

        var model: String?
        var messages: [Message]?
        var stream: Bool?
        var streamOptions: StreamOptions?

        enum CodingKeys: String, CodingKey {
            case model, messages, stream
            case streamOptions = "stream_options"
        }
    }

    /// `content` is a string or a list of parts (`{"type": "text", "text": ...}`, images...).
    private enum Content: Decodable {
        case text(String)
        case parts([String])

        struct Part: Decodable {
            var type: String?
            var text: String?
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) {
                self = .text(text)
            } else {
                self = .parts(try container.decode([Part].self).compactMap { $0.type == nil || $0.type == "text" ? $0.text : nil })
            }
        }

        var text: String {
            switch self {
            case let .text(text): text
            case let .parts(parts): parts.joined(separator: "\n")
            }
        }
    }

    /// Parses a request body.
    /// - Throws: `OpenAIError` 400 saying what is wrong.
    public init(body: [UInt8]) throws(OpenAIError) {
        do throws(JSONError) {
            members = try JSONObjectMembers(body)
        } catch {
            throw .invalidRequest("the request body is not a JSON object: \(error)")
        }
        let view: View
        do {
            view = try JSONDecoder().decode(View.self, from: Data(body))
        } catch let error as DecodingError {
            throw .invalidRequest("invalid request body: \(Self.describe(error))")
        } catch {
            throw .invalidRequest("invalid request body: \(error)")
        }
        guard let model = view.model, !model.isEmpty else {
            throw .invalidRequest("you must provide a model parameter", param: "model")
        }
        guard let messages = view.messages, !messages.isEmpty else {
            throw .invalidRequest("messages must be a non-empty array", param: "messages")
        }
        self.model = model
        stream = view.stream ?? false
        clientWantsUsage = view.streamOptions?.includeUsage ?? false
        routingText = messages.last { $0.role == "user" }?.content?.text
    }

    /// The body to send upstream: `model` set to the upstream's id and, for streams, usage requested.
    public func upstreamBody(model upstreamModel: String) -> [UInt8] {
        var replacements: [(key: String, value: [UInt8])] = [("model", JSONObjectMembers.string(upstreamModel))]
        if stream, !clientWantsUsage {
            replacements.append(("stream_options", Array(#"{"include_usage":true}"#.utf8)))
        }
        return members.replacing(replacements)
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case let .typeMismatch(_, context), let .valueNotFound(_, context), let .dataCorrupted(context):
            let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return path.isEmpty ? context.debugDescription : "\(path.hasPrefix(".") ? String(path.dropFirst()) : path): \(context.debugDescription)"
        case let .keyNotFound(key, _):
            return "missing field \(key.stringValue)"
        @unknown default:
            return "\(error)"
        }
    }
}
