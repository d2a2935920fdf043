import Foundation
import TurnoutWire

/// Checks a hand-written codec against its message's `Codable` twin: the two must write JSON
/// the other reads back to the same value, accept the same bodies and refuse the same ones.
///
/// Each check returns what disagreed, empty when nothing did, so a test can `#expect` it
/// empty and see every disagreement at once.
public enum CodecTwins {
    /// Round trips both ways: hand-written to `Codable`, and `Codable` to hand-written.
    public static func roundTripProblems<M: HandCodedMessage & Codable & Equatable>(_ message: M) -> [String] {
        var problems: [String] = []
        do {
            let hand = try message.encoded()
            let read = try JSONDecoder().decode(M.self, from: Data(hand))
            if read != message { problems.append("Codable read the hand-written \(String(decoding: hand, as: UTF8.self)) as \(read)") }
        } catch {
            problems.append("hand-written JSON of \(message) is not Codable's: \(error)")
        }
        do {
            let codable = try JSONEncoder().encode(message)
            let read = try M.decoded(from: Array(codable))
            if read != message { problems.append("the hand-written decoder read \(String(decoding: codable, as: UTF8.self)) as \(read)") }
        } catch {
            problems.append("the hand-written decoder refused Codable's JSON of \(message): \(error)")
        }
        return problems
    }

    /// A body both decoders must accept, reading the same value.
    public static func acceptanceProblems<M: HandCodedMessage & Codable & Equatable>(_ type: M.Type, _ json: String) -> [String] {
        let bytes = Array(json.utf8)
        do {
            let hand = try M.decoded(from: bytes)
            let codable = try JSONDecoder().decode(M.self, from: Data(bytes))
            return hand == codable ? [] : ["\(json): hand-written read \(hand), Codable \(codable)"]
        } catch {
            return ["\(json) must be accepted: \(error)"]
        }
    }

    /// A body both decoders must refuse; the hand-written one with INVALID_ARGUMENT whose
    /// message contains `fragment` (the field, or what is wrong).
    public static func refusalProblems<M: HandCodedMessage & Codable>(_ type: M.Type, _ json: String, naming fragment: String) -> [String] {
        let bytes = Array(json.utf8)
        var problems: [String] = []
        do {
            let read = try M.decoded(from: bytes)
            problems.append("the hand-written decoder accepted \(json) as \(read)")
        } catch {
            if error.code != .invalidArgument { problems.append("\(json): \(error.code), not INVALID_ARGUMENT") }
            if !error.message.contains(fragment) { problems.append("\(json): \"\(error.message)\" does not name \(fragment)") }
        }
        if let read = try? JSONDecoder().decode(M.self, from: Data(bytes)) {
            problems.append("Codable accepted \(json) as \(read), which the hand-written decoder refuses")
        }
        return problems
    }
}
