import Foundation

/// Chatbot Arena preference data: human votes between two anonymous models on a prompt.
///
/// Two forms are read. The public CSV (Kaggle's `lmsys-arena-human-preference-55k`) has one
/// row per battle with the conversation as a JSON list of turns and three 0/1 vote columns;
/// the JSONL form is one `{"prompt", "model_a", "model_b", "winner"}` object per line, the
/// shape RouteLLM's own Arena exports use. Both route on the first turn and drop prompts
/// shorter than `BattleSource.minimumPromptLength`.
public enum ArenaBattles {
    /// Columns the CSV must have; `id` and the responses are not needed.
    public static let requiredColumns = ["model_a", "model_b", "prompt", "winner_model_a", "winner_model_b", "winner_tie"]

    /// Reads the Arena CSV.
    /// - Throws: `BenchmarkDataError` naming the file and line of a missing column, a row of
    ///   the wrong width, a malformed prompt list or a row without exactly one vote.
    public static func csv(_ file: URL) throws(BenchmarkDataError) -> BattleSource {
        var cursor = CSVReader.Cursor(bytes: try JSONLines.readBytes(file))
        guard let (header, _) = try next(&cursor, file) else {
            throw BenchmarkDataError(path: file.path, message: "is empty; expected a header with \(requiredColumns.joined(separator: ", "))")
        }
        var column: [String: Int] = [:]
        for (index, raw) in header.enumerated() {
            // A byte-order mark would otherwise stick to the first column's name.
            let name = raw.replacingOccurrences(of: "\u{FEFF}", with: "").trimmingCharacters(in: .whitespaces)
            if column[name] == nil { column[name] = index }
        }
        let missing = requiredColumns.filter { column[$0] == nil }
        guard missing.isEmpty else {
            throw BenchmarkDataError(path: file.path, message: "line 1: missing column\(missing.count == 1 ? "" : "s") \(missing.joined(separator: ", ")) (the header has \(header.joined(separator: ", ")))")
        }
        func field(_ row: [String], _ name: String) -> String { column[name].map { row[$0] } ?? "" }
        var battles: [Battle] = []
        var dropped = 0
        while let (row, line) = try next(&cursor, file) {
            if row.count == 1 && row[0].isEmpty { continue }
            guard row.count == header.count else {
                throw BenchmarkDataError(path: file.path, message: "line \(line): row has \(row.count) fields, the header \(header.count)")
            }
            let modelA = field(row, "model_a"), modelB = field(row, "model_b")
            guard !modelA.isEmpty, !modelB.isEmpty else {
                throw BenchmarkDataError(path: file.path, message: "line \(line): model_a and model_b must name models")
            }
            guard let prompt = firstTurn(ofCSVPrompt: field(row, "prompt")) else {
                throw BenchmarkDataError(path: file.path, message: "line \(line): prompt is neither a JSON list of strings nor plain text")
            }
            let votes = ["winner_model_a", "winner_model_b", "winner_tie"].map { BenchmarkData.bool(field(row, $0)) }
            guard votes.allSatisfy({ $0 != nil }), votes.filter({ $0 == true }).count == 1 else {
                throw BenchmarkDataError(path: file.path, message: "line \(line): winner_model_a, winner_model_b and winner_tie must be 0 or 1 with exactly one 1")
            }
            guard BattleSource.isLongEnough(prompt) else {
                dropped += 1
                continue
            }
            let winner: Battle.Winner = votes[0] == true ? .modelA : votes[1] == true ? .modelB : .tie
            battles.append(Battle(prompt: prompt, modelA: modelA, modelB: modelB, winner: winner))
        }
        return BattleSource(path: file.path, battles: battles, shortPromptsDropped: dropped)
    }

    /// Reads the JSONL form: `prompt` (a string, or a list of turns), `model_a`, `model_b` and
    /// `winner` (`model_a`, `model_b`, `tie` or `tie (bothbad)`).
    /// - Throws: `BenchmarkDataError` naming the file and line of a bad JSON line, a missing
    ///   field or an unknown winner.
    public static func jsonl(_ file: URL) throws(BenchmarkDataError) -> BattleSource {
        var battles: [Battle] = []
        var dropped = 0
        for (line, object) in try JSONLines.objects(file) {
            guard let prompt = JSONLines.string(object, "prompt") ?? JSONLines.firstTurn(object["prompt"]) else {
                throw BenchmarkDataError(path: file.path, message: "line \(line): \"prompt\" must be a string or a list of strings")
            }
            guard let modelA = JSONLines.string(object, "model_a"), !modelA.isEmpty,
                  let modelB = JSONLines.string(object, "model_b"), !modelB.isEmpty else {
                throw BenchmarkDataError(path: file.path, message: "line \(line): \"model_a\" and \"model_b\" must name models")
            }
            guard let value = JSONLines.string(object, "winner") else {
                throw BenchmarkDataError(path: file.path, message: "line \(line): \"winner\" is missing or not a string")
            }
            guard let winner = Battle.Winner(rawValue: value) else {
                let known = Battle.Winner.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
                throw BenchmarkDataError(path: file.path, message: "line \(line): unknown winner \"\(value)\" (expected one of \(known))")
            }
            guard BattleSource.isLongEnough(prompt) else {
                dropped += 1
                continue
            }
            battles.append(Battle(prompt: prompt, modelA: modelA, modelB: modelB, winner: winner))
        }
        return BattleSource(path: file.path, battles: battles, shortPromptsDropped: dropped)
    }

    /// The first turn of the CSV's `prompt`: a JSON list of turns (a null or missing first turn
    /// gives ""), or, when the field does not start with `[`, the field itself as plain text.
    static func firstTurn(ofCSVPrompt text: String) -> String? {
        guard text.drop(while: { $0.isWhitespace }).first == "[" else { return text }
        guard let list = try? JSONSerialization.jsonObject(with: Data(text.utf8)) else { return nil }
        return JSONLines.firstTurn(list)
    }

    private static func next(_ cursor: inout CSVReader.Cursor, _ file: URL) throws(BenchmarkDataError) -> (fields: [String], line: Int)? {
        do {
            return try cursor.next()
        } catch {
            throw BenchmarkDataError(path: file.path, message: "line \(error.line): \(error.message)")
        }
    }
}
