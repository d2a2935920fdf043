import Foundation

extension MTBench {
    /// MT-Bench as a benchmark for a strong/weak pair, as RouteLLM's `MTBench` evaluates it: a
    /// question is routed on its first turn, and whichever model it goes to answers both turns,
    /// so an item scores each model by the mean of its judge scores on that question. Questions
    /// with any turn in `contaminated_prompts.jsonl` are dropped first (RouteLLM checks both turns).
    ///
    /// The curve's quality is the mean of these per-question means: RouteLLM's mean over all
    /// the routed model's judgements whenever each model has one judgement per turn, as in
    /// MT-Bench itself.
    /// - Parameters:
    ///   - directory: holds `question.jsonl`, `judgements.jsonl` and optionally `contaminated_prompts.jsonl`.
    ///   - strongModel, weakModel: the judged models, matched as `ModelPairing.normalizedName` does.
    /// - Throws: `BenchmarkDataError` naming the file and line of bad input, or the question
    ///   that lacks a judgement of either model.
    public static func benchmark(directory: URL, strongModel: String, weakModel: String, decontaminate: Bool = true) throws(BenchmarkDataError) -> Benchmark {
        let judgementsFile = directory.appendingPathComponent(judgementFile)
        let questions = try questions(directory.appendingPathComponent(questionFile))
        let judgements = try judgements(judgementsFile)
        try check(judgements, against: questions, file: judgementsFile)
        let contaminated = decontaminate ? try BenchmarkData.contaminatedPrompts(directory.appendingPathComponent("contaminated_prompts.jsonl")) : []
        return try benchmark(questions: questions, judgements: judgements, strongModel: strongModel, weakModel: weakModel,
                             contaminated: contaminated, path: judgementsFile.path)
    }

    /// The benchmark from parsed questions and judgements; `path` names the judgements in errors.
    public static func benchmark(questions: [Question], judgements: [Judgement], strongModel: String, weakModel: String,
                                 contaminated: Set<String> = [], path: String = judgementFile) throws(BenchmarkDataError) -> Benchmark {
        let strong = ModelPairing.normalizedName(strongModel), weak = ModelPairing.normalizedName(weakModel)
        guard strong != weak else {
            throw BenchmarkDataError(path: path, message: "the strong and the weak model are both \(strongModel)")
        }
        var strongScores: [String: [Double]] = [:], weakScores: [String: [Double]] = [:]
        var models: Set<String> = []
        for judgement in judgements {
            let model = ModelPairing.normalizedName(judgement.model)
            models.insert(judgement.model)
            if model == strong { strongScores[judgement.questionID, default: []].append(judgement.score) }
            if model == weak { weakScores[judgement.questionID, default: []].append(judgement.score) }
        }
        for (model, scores) in [(strongModel, strongScores), (weakModel, weakScores)] where scores.isEmpty {
            throw BenchmarkDataError(path: path, message: "no judgement of \(model); it judges \(models.sorted().joined(separator: ", "))")
        }
        var items: [BenchmarkItem] = []
        for question in questions where !question.turns.contains(where: contaminated.contains) {
            guard let strongOnes = strongScores[question.id], let weakOnes = weakScores[question.id] else {
                let model = strongScores[question.id] == nil ? strongModel : weakModel
                throw BenchmarkDataError(path: path, message: "question \(question.id) has no judgement of \(model)")
            }
            items.append(BenchmarkItem(prompt: question.turns[0], strongScore: mean(strongOnes), weakScore: mean(weakOnes)))
        }
        guard !items.isEmpty else {
            throw BenchmarkDataError(path: path, message: "no question is left to evaluate on after decontamination")
        }
        return Benchmark(name: "mt-bench", strongModel: strongModel, weakModel: weakModel, items: items, scale: .judgeScore)
    }

    static func mean(_ values: [Double]) -> Double {
        values.reduce(0, +) / Double(max(1, values.count))
    }
}
