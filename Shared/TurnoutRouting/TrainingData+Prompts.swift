import Foundation

extension TrainingData {
    /// Prompts to calibrate a threshold on, from any form Turnout trains or evaluates on, so the
    /// share of strong calls can be set on the traffic it will route (or a sample of it):
    /// - a benchmark directory: its questions;
    /// - an MT-Bench directory, or its `question.jsonl`: each question's first turn, the text
    ///   routing sees;
    /// - a `.csv` file: Chatbot Arena's CSV, each battle's first turn, short prompts dropped as
    ///   in training;
    /// - a `.jsonl` file: each line's `"prompt"` (a string or a list of turns: Turnout's battle
    ///   JSONL, or a log of prompts), else its `"turns"` (MT-Bench questions);
    /// - any other file: one prompt per non-empty line.
    ///
    /// Repeated prompts are kept: they are repeated traffic, and the quantile should count them.
    /// - Throws: `BenchmarkDataError` naming the path (and line) that holds no usable prompt.
    public static func prompts(at path: URL) throws(BenchmarkDataError) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path.path, isDirectory: &isDirectory) else {
            throw BenchmarkDataError(path: path.path, message: "does not exist")
        }
        if isDirectory.boolValue {
            if FileManager.default.fileExists(atPath: path.appendingPathComponent(MTBench.questionFile).path) {
                return try MTBench.questions(path.appendingPathComponent(MTBench.questionFile)).compactMap(\.turns.first)
            }
            return try benchmarkItems([path]).map(\.prompt)
        }
        switch path.pathExtension.lowercased() {
        case "csv":
            return try ArenaBattles.csv(path).battles.map(\.prompt)
        case "jsonl":
            return try JSONLines.objects(path).map { (line, object) throws(BenchmarkDataError) -> String in
                if let prompt = JSONLines.string(object, "prompt") ?? JSONLines.firstTurn(object["prompt"]) ?? JSONLines.firstTurn(object["turns"]) {
                    return prompt
                }
                throw BenchmarkDataError(path: path.path, message: "line \(line): no \"prompt\" (a string or a list of turns) and no \"turns\"")
            }
        default:
            let bytes = try JSONLines.readBytes(path)
            return String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline).map(String.init)
                .filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        }
    }
}
