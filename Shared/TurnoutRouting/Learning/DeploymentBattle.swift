import Foundation

/// A battle from the deployment's own traffic, as `GET /battles` exports it: one line of the
/// battle JSONL, read with the fields `turnout learn` needs beyond what `train` reads: when it
/// happened and how it was decided.
public struct DeploymentBattle: Sendable, Equatable {
    public enum Source: String, Sendable {
        case shadow, feedback
    }

    public var id: String
    public var timeMs: Int64
    public var prompt: String
    /// The strong model is always `model_a` in the export.
    public var strongModel: String
    public var weakModel: String
    public var winner: Battle.Winner
    public var source: Source
    public var routerVersion: String

    public init(id: String, timeMs: Int64, prompt: String, strongModel: String, weakModel: String, winner: Battle.Winner, source: Source, routerVersion: String) {
        self.id = id
        self.timeMs = timeMs
        self.prompt = prompt
        self.strongModel = strongModel
        self.weakModel = weakModel
        self.winner = winner
        self.source = source
        self.routerVersion = routerVersion
    }

    /// The battle as a training or evaluation example: a strong win is 1 against 0, a weak
    /// win 0 against 1, a tie half each, and "both bad" 0 each (a strong call buys nothing).
    public var item: BenchmarkItem {
        switch winner {
        case .modelA: BenchmarkItem(prompt: prompt, strongScore: 1, weakScore: 0)
        case .modelB: BenchmarkItem(prompt: prompt, strongScore: 0, weakScore: 1)
        case .tie: BenchmarkItem(prompt: prompt, strongScore: 0.5, weakScore: 0.5)
        case .tieBothBad: BenchmarkItem(prompt: prompt, strongScore: 0, weakScore: 0)
        }
    }

    /// Reads an export: one battle per line, blank lines skipped, in the order given.
    /// - Parameter origin: the URL or file, for messages.
    /// - Throws: `BenchmarkDataError` naming the line that is not a deployment battle.
    public static func lines(_ bytes: [UInt8], origin: String) throws(BenchmarkDataError) -> [DeploymentBattle] {
        var battles: [DeploymentBattle] = []
        for (index, slice) in bytes.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
            guard slice.contains(where: { $0 != 0x20 && $0 != 0x0D && $0 != 0x09 }) else { continue }
            let line = index + 1
            guard let object = try? JSONSerialization.jsonObject(with: Data(slice)) as? [String: Any] else {
                throw BenchmarkDataError(path: origin, message: "line \(line) is not a JSON object")
            }
            guard let prompt = object["prompt"] as? String, let strong = object["model_a"] as? String, let weak = object["model_b"] as? String,
                  let winnerText = object["winner"] as? String, let winner = Battle.Winner(rawValue: winnerText) else {
                throw BenchmarkDataError(path: origin, message: "line \(line): a battle needs prompt, model_a, model_b and a known winner")
            }
            guard let time = (object["time_ms"] as? NSNumber)?.int64Value else {
                throw BenchmarkDataError(path: origin, message: "line \(line): time_ms is missing (is this the export of GET /battles?)")
            }
            let source = (object["source"] as? String).flatMap(Source.init) ?? .shadow
            battles.append(DeploymentBattle(id: object["id"] as? String ?? "line-\(line)", timeMs: time, prompt: prompt, strongModel: strong, weakModel: weak,
                                            winner: winner, source: source, routerVersion: object["router_version"] as? String ?? ""))
        }
        return battles
    }
}
