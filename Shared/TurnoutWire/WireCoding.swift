import Foundation
import TurnoutJSON

/// Encodes and decodes message bodies, turning coding failures into status codes.
///
/// A body the handler cannot decode is the caller's mistake (INVALID_ARGUMENT, naming the
/// field); a response the handler cannot encode is ours (INTERNAL).
public enum WireCoding {
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws(RPCError) -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(bytes))
        } catch let error as DecodingError {
            throw RPCError(.invalidArgument, "invalid body: \(describe(error))", cause: error)
        } catch {
            throw RPCError(.invalidArgument, "invalid body: \(error)")
        }
    }

    public static func encode<T: Encodable>(_ value: T) throws(RPCError) -> [UInt8] {
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = .withoutEscapingSlashes
            return Array(try encoder.encode(value))
        } catch {
            throw RPCError(.internal, "could not encode \(T.self)", cause: ErrorDescription(error))
        }
    }

    /// Runs a hand-written decoder over `bytes`, which must hold one JSON value and nothing
    /// after it; a JSON error becomes INVALID_ARGUMENT naming `what` (`Scorer/Score request`).
    public static func scan<T>(_ what: String, _ bytes: [UInt8], _ read: (inout JSONScanner) throws(JSONError) -> T) throws(RPCError) -> T {
        var scanner = JSONScanner(bytes: bytes)
        do throws(JSONError) {
            let value = try read(&scanner)
            scanner.skipWhitespace()
            guard scanner.isAtEnd else { throw JSONError(.trailingData, at: scanner.position) }
            return value
        } catch {
            throw RPCError(.invalidArgument, "invalid \(what): \(error)")
        }
    }

    /// The error a hand-written decoder throws for a required field that is absent, worded
    /// as `describe` words `Codable`'s.
    public static func missingField(_ field: String, in what: String) -> RPCError {
        RPCError(.invalidArgument, "invalid \(what): missing field \"\(field)\"")
    }

    /// A short, field-naming explanation, e.g. `field "texts[2]": expected String`.
    public static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            var text = ""
            for key in codingPath {
                if let index = key.intValue {
                    text += "[\(index)]"
                } else {
                    text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
                }
            }
            return text.isEmpty ? "body" : "field \"\(text)\""
        }
        switch error {
        case let .keyNotFound(key, context):
            let parent = context.codingPath.isEmpty ? "" : " in \(path(context.codingPath))"
            return "missing field \"\(key.stringValue)\"\(parent)"
        case let .typeMismatch(type, context):
            return "\(path(context.codingPath)): expected \(type)"
        case let .valueNotFound(type, context):
            return "\(path(context.codingPath)): expected \(type), found null"
        case let .dataCorrupted(context):
            return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return String(describing: error)
        }
    }
}


