import Foundation

/// MT-Bench in FastChat's single-answer grading format: 80 two-turn questions
/// (`question.jsonl`) and a judge's 1-10 score for each model's answer to each turn
/// (`judgements.jsonl`).
///
/// It serves twice. As training data, the scores of two models on the same question and turn
/// make a battle (the higher score wins, equal scores tie), routed on the question's first
/// turn. As a benchmark, each question scores the strong and the weak model by the mean of
/// their judge scores over both turns (see `MTBench+Benchmark.swift`).
public enum MTBench {
    public static let questionFile = "question.jsonl"
    public static let judgementFile = "judgements.jsonl"
    /// FastChat writes -1 when the judge gave no `[[rating]]`; its own summaries skip those rows.
    public static let missingScore = -1.0

    public struct Question: Sendable, Equatable {
        /// `question_id`, kept as text: FastChat writes numbers, other exports strings.
        public var id: String
        public var turns: [String]

        public init(id: String, turns: [String]) {
            self.id = id
            self.turns = turns
        }
    }

    public struct Judgement: Sendable, Equatable {
        public var questionID: String
        public var model: String
        public var score: Double
        /// 1-based.
        public var turn: Int
        /// Where it was read, for messages (0 when made in code).
        public var line: Int

        public init(questionID: String, model: String, score: Double, turn: Int, line: Int = 0) {
            self.questionID = questionID
            self.model = model
            self.score = score
            self.turn = turn
            self.line = line
        }
    }

    /// Whether `directory` holds MT-Bench data.
    public static func holdsData(_ directory: URL) -> Bool {
        FileManager.default.fileExists(atPath: directory.appendingPathComponent(questionFile).path)
            && FileManager.default.fileExists(atPath: directory.appendingPathComponent(judgementFile).path)
    }

    /// Reads `question.jsonl`.
    /// - Throws: `BenchmarkDataError` naming the file and line of a bad JSON line, a missing or
    ///   repeated `question_id`, or `turns` that are not a non-empty list of strings.
    public static func questions(_ file: URL) throws(BenchmarkDataError) -> [Question] {
        var questions: [Question] = []
        var seen: Set<String> = []
        for (line, object) in try JSONLines.objects(file) {
            guard let id = identifier(object["question_id"]) else {
                throw BenchmarkDataError(path: file.path, message: "line \(line): \"question_id\" is missing or not a number or string")
            }
            guard seen.insert(id).inserted else {
                throw BenchmarkDataError(path: file.path, message: "line \(line): question_id \(id) appears twice")
            }
            guard let turns = object["turns"] as? [String], !turns.isEmpty else {
                throw BenchmarkDataError(path: file.path, message: "line \(line): \"turns\" must be a non-empty list of strings")
            }
            questions.append(Question(id: id, turns: turns))
        }
        return questions
    }

    /// Reads `judgements.jsonl`, skipping the judge's unrated answers (score -1).
    /// - Throws: `BenchmarkDataError` naming the file and line of a bad JSON line, a missing
    ///   field, a turn below 1 or a score outside 1-10.
    public static func judgements(_ file: URL) throws(BenchmarkDataError) -> [Judgement] {
        var judgements: [Judgement] = []
        for (line, object) in try JSONLines.objects(file) {
            guard let questionID = identifier(object["question_id"]) else {
                throw BenchmarkDataError(path: file.path, message: "line \(line): \"question_id\" is missing or not a number or string")
            }
            guard let model = JSONLines.string(object, "model"), !model.isEmpty else {
                throw BenchmarkDataError(path: file.path, message: "line \(line): \"model\" is missing or empty")
            }
            guard let turn = JSONLines.integer(object, "turn"), turn >= 1 else {
                throw BenchmarkDataError(path: file.path, message: "line \(line): \"turn\" must be an integer from 1")
            }
            guard let score = JSONLines.number(object, "score") else {
                throw BenchmarkDataError(path: file.path, message: "line \(line): \"score\" is missing or not a number")
            }
            if score == missingScore { continue }
            guard (1...10).contains(score) else {
                throw BenchmarkDataError(path: file.path, message: "line \(line): score \(score) is outside 1-10")
            }
            judgements.append(Judgement(questionID: questionID, model: model, score: score, turn: turn, line: line))
        }
        return judgements
    }

    /// The training battles of an MT-Bench directory (not decontaminated: that guards evaluation).
    public static func battles(directory: URL) throws(BenchmarkDataError) -> BattleSource {
        let judgementsFile = directory.appendingPathComponent(judgementFile)
        let questions = try questions(directory.appendingPathComponent(questionFile))
        let judgements = try judgements(judgementsFile)
        try check(judgements, against: questions, file: judgementsFile)
        let all = battles(questions: questions, judgements: judgements)
        let kept = all.filter { BattleSource.isLongEnough($0.prompt) }
        return BattleSource(path: directory.path, battles: kept, shortPromptsDropped: all.count - kept.count)
    }

    /// Battles between every pair of models judged on the same question and turn: the higher
    /// score wins, equal scores tie. A model judged more than once on a turn counts with its
    /// mean score. Every battle is routed on the question's first turn, the text a router sees
    /// before any answer exists. Order: questions as given, then turns, then model names.
    public static func battles(questions: [Question], judgements: [Judgement]) -> [Battle] {
        struct Key: Hashable {
            var question: String
            var turn: Int
        }
        var scores: [Key: [String: (sum: Double, count: Int)]] = [:]
        for judgement in judgements {
            let key = Key(question: judgement.questionID, turn: judgement.turn)
            let previous = scores[key]?[judgement.model] ?? (0, 0)
            scores[key, default: [:]][judgement.model] = (previous.sum + judgement.score, previous.count + 1)
        }
        var turnsByQuestion: [String: [Int]] = [:]
        for key in scores.keys { turnsByQuestion[key.question, default: []].append(key.turn) }
        var battles: [Battle] = []
        for question in questions {
            for turn in (turnsByQuestion[question.id] ?? []).sorted() {
                guard let byModel = scores[Key(question: question.id, turn: turn)] else { continue }
                let models = byModel.keys.sorted()
                for (index, modelA) in models.enumerated() {
                    for modelB in models[(index + 1)...] {
                        guard let a = byModel[modelA], let b = byModel[modelB] else { continue }
                        let scoreA = a.sum / Double(a.count), scoreB = b.sum / Double(b.count)
                        let winner: Battle.Winner = scoreA > scoreB ? .modelA : scoreA < scoreB ? .modelB : .tie
                        battles.append(Battle(prompt: question.turns[0], modelA: modelA, modelB: modelB, winner: winner))
                    }
                }
            }
        }
        return battles
    }

    /// Every judgement must be of a known question and one of its turns: a stray id means the
    /// two files do not belong together.
    static func check(_ judgements: [Judgement], against questions: [Question], file: URL) throws(BenchmarkDataError) {
        var turnCount: [String: Int] = [:]
        for question in questions { turnCount[question.id] = question.turns.count }
        for judgement in judgements {
            guard let turns = turnCount[judgement.questionID] else {
                throw BenchmarkDataError(path: file.path, message: "line \(judgement.line): question_id \(judgement.questionID) is not in \(questionFile)")
            }
            guard judgement.turn <= turns else {
                throw BenchmarkDataError(path: file.path, message: "line \(judgement.line): turn \(judgement.turn), but question \(judgement.questionID) has \(turns) turn\(turns == 1 ? "" : "s")")
            }
        }
    }

    /// A `question_id` as text: an integer or a non-empty string.
    static func identifier(_ value: Any?) -> String? {
        if let text = value as? String, !text.isEmpty { return text }
        return JSONLines.integer(value).map(String.init)
    }
}
