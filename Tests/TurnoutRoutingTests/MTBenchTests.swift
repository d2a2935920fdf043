import Foundation
import Testing
import TurnoutRouting

@Suite struct MTBenchTests {
    static let strong = "gpt-4-1106-preview"
    static let weak = "mixtral-8x7b-instruct-v0.1"

    static var questions: [[String: Any]] {
        [
            ["question_id": 81, "category": "writing", "turns": ["Compose a travel blog post about Hawaii.", "Rewrite it starting every sentence with A."]],
            ["question_id": 82, "turns": ["Draft a professional email asking for feedback.", "Critique your own email."]],
            ["question_id": 83, "turns": ["Outline a blog post comparing two smartphones.", "Now make it a limerick."]],
        ]
    }

    /// Per question and turn, strong then weak:
    /// 81: 9, 7 | 4, 6 -> means 8 and 5;  82: 8, 8 | 9, 7 -> 8 and 8;  83: 10, 6 | 3, 2 -> 8 and 2.5.
    /// A third model is judged too, and one unrated (-1) row must be skipped.
    static var judgements: [[String: Any]] {
        var rows: [[String: Any]] = []
        let scores: [(Int, String, [Double])] = [
            (81, strong, [9, 7]), (81, weak, [4, 6]), (82, strong, [8, 8]), (82, weak, [9, 7]), (83, strong, [10, 6]), (83, weak, [3, 2]),
            (81, "claude-2.1", [6, 6]), (82, "claude-2.1", [8, 5]), (83, "claude-2.1", [7, 7]),
        ]
        for (question, model, turns) in scores {
            for (index, score) in turns.enumerated() {
                rows.append(["question_id": question, "model": model, "score": score, "turn": index + 1, "judge": ["gpt-4", "single-v1"]])
            }
        }
        rows.append(["question_id": 81, "model": weak, "score": -1, "turn": 2])
        return rows
    }

    func directory(contaminated: [String] = []) throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        try directory.writeLines("question.jsonl", Self.questions)
        try directory.writeLines("judgements.jsonl", Self.judgements)
        if !contaminated.isEmpty {
            try directory.writeLines("contaminated_prompts.jsonl", contaminated.map { ["eval_prompt": $0, "train_prompt": $0] })
        }
        return directory
    }

    @Test func parsesQuestionsAndSkipsUnratedJudgements() throws {
        let directory = try directory()
        defer { directory.remove() }
        let questions = try MTBench.questions(directory.url.appendingPathComponent("question.jsonl"))
        #expect(questions.map(\.id) == ["81", "82", "83"])
        #expect(questions[0].turns.count == 2)
        let judgements = try MTBench.judgements(directory.url.appendingPathComponent("judgements.jsonl"))
        #expect(judgements.count == 18)
        #expect(judgements.allSatisfy { $0.score >= 1 })
        #expect(judgements.first == MTBench.Judgement(questionID: "81", model: Self.strong, score: 9, turn: 1, line: 1))
    }

    /// Every pair of models judged on the same question and turn makes a battle, routed on the
    /// first turn: three models give three battles per turn.
    @Test func battlesFormBetweenEveryPairOnTheSameQuestionAndTurn() {
        let questions = [MTBench.Question(id: "1", turns: ["First turn of question one", "Second turn"])]
        let judgements = [
            MTBench.Judgement(questionID: "1", model: "b", score: 7, turn: 1), MTBench.Judgement(questionID: "1", model: "a", score: 9, turn: 1),
            MTBench.Judgement(questionID: "1", model: "c", score: 7, turn: 1),
            MTBench.Judgement(questionID: "1", model: "a", score: 3, turn: 2), MTBench.Judgement(questionID: "1", model: "b", score: 6, turn: 2),
            // Judged twice on turn 2: its mean (4) counts.
            MTBench.Judgement(questionID: "1", model: "c", score: 2, turn: 2), MTBench.Judgement(questionID: "1", model: "c", score: 6, turn: 2),
        ]
        let battles = MTBench.battles(questions: questions, judgements: judgements)
        let prompt = "First turn of question one"
        #expect(battles == [
            Battle(prompt: prompt, modelA: "a", modelB: "b", winner: .modelA),
            Battle(prompt: prompt, modelA: "a", modelB: "c", winner: .modelA),
            Battle(prompt: prompt, modelA: "b", modelB: "c", winner: .tie),
            Battle(prompt: prompt, modelA: "a", modelB: "b", winner: .modelB),
            Battle(prompt: prompt, modelA: "a", modelB: "c", winner: .modelB),
            Battle(prompt: prompt, modelA: "b", modelB: "c", winner: .modelA),
        ])
    }

    @Test func aDirectoryGivesLabelledTrainingBattles() throws {
        let directory = try directory()
        defer { directory.remove() }
        let source = try MTBench.battles(directory: directory.url)
        // Three models, three pairs, two turns, three questions.
        #expect(source.battles.count == 18)
        let labelled = try ModelPairing(mode: .exact).label(source)
        // Strong vs weak: 81 turns (9>4, 7>6), 82 (8<9, 8>7), 83 (10>3, 6>2).
        #expect(labelled.items.map(SimilarityWeightedRanking.Outcome.init) == [.strongWins, .strongWins, .weakWins, .strongWins, .strongWins, .strongWins])
        #expect(labelled.items.map(\.prompt) == ["Compose a travel blog post about Hawaii.", "Compose a travel blog post about Hawaii.",
                                                 "Draft a professional email asking for feedback.", "Draft a professional email asking for feedback.",
                                                 "Outline a blog post comparing two smartphones.", "Outline a blog post comparing two smartphones."])
    }

    /// The hand-computed case: strong means 8, 8, 8 (overall 8); weak means 5, 8, 2.5 (overall
    /// 31/6). With win rates 0.6, 0.2, 0.9 and two bins the thresholds are 0.2, 0.6, 0.9.
    @Test func evaluationScoresTheRoutedModelsMeanJudgeScore() throws {
        let directory = try directory()
        defer { directory.remove() }
        let benchmark = try MTBench.benchmark(directory: directory.url, strongModel: Self.strong, weakModel: "mistralai/Mixtral-8x7B-Instruct-v0.1")
        #expect(benchmark.scale == .judgeScore)
        #expect(benchmark.items.map(\.strongScore) == [8, 8, 8])
        #expect(benchmark.items.map(\.weakScore) == [5, 8, 2.5])
        #expect(benchmark.strongQuality == 8)
        #expect(abs(benchmark.weakQuality - 31.0 / 6) < 1e-12)

        let report = RouterEvaluation.report(router: "probe", winRates: [0.6, 0.2, 0.9], benchmark: benchmark, thresholds: 2)
        // At 0.2 all go strong; at 0.6 questions 81 and 83 do (82 ties anyway); at 0.9 (strictly above) none.
        #expect(report.curve.map(\.strongShare) == [1, 2.0 / 3, 0])
        #expect(report.curve[0].quality == 8 && report.curve[1].quality == 8)
        #expect(abs(report.curve[2].quality - 31.0 / 6) < 1e-12)
        // AUC = 2/3 * (31/6 + 8)/2 + 1/3 * 8 = 127/18; APGR = (127/18 - 31/6) / (8 - 31/6) = 2/3.
        #expect(abs(report.auc - 127.0 / 18) < 1e-12)
        #expect(abs(report.apgr - 2.0 / 3) < 1e-12)
        // Half the gap (79/12) is reached halfway up the first segment: a third of the calls.
        #expect(abs(report.cpt50 - 1.0 / 3) < 1e-12)

        // The metrics do not depend on the score scale: the same items mapped onto 0...1 agree.
        let unit = Benchmark(name: "unit", strongModel: "s", weakModel: "w", items: benchmark.items.map {
            BenchmarkItem(prompt: $0.prompt, strongScore: ($0.strongScore - 1) / 9, weakScore: ($0.weakScore - 1) / 9)
        })
        let scaled = RouterEvaluation.report(router: "probe", winRates: [0.6, 0.2, 0.9], benchmark: unit, thresholds: 2)
        #expect(abs(scaled.apgr - report.apgr) < 1e-12)
        #expect(abs(scaled.cpt20 - report.cpt20) < 1e-12 && abs(scaled.cpt50 - report.cpt50) < 1e-12 && abs(scaled.cpt80 - report.cpt80) < 1e-12)
        // The optimal router sends the gainers (83 by 5.5, 81 by 3) first and reaches the strong mean.
        let optimal = RouterEvaluation.optimal(benchmark: benchmark)
        #expect(optimal.curve.last?.quality == 8)
        #expect(abs((optimal.curve.first?.quality ?? 0) - 31.0 / 6) < 1e-12)
    }

    @Test func theReportPrintsJudgeScoresNotPercentages() throws {
        let directory = try directory()
        defer { directory.remove() }
        let benchmark = try MTBench.benchmark(directory: directory.url, strongModel: Self.strong, weakModel: Self.weak)
        let text = RouterEvaluation.markdown([RouterEvaluation.optimal(benchmark: benchmark)], benchmark: benchmark)
        #expect(text.hasSuffix("mt-bench: 3 questions, mean judge score (1-10) strong 8.000, weak 5.167\n"))
        // The quality axis (labels at x = 22) reads in judge points, spanning both models' means.
        let svg = EvaluationPlot.svg([RouterEvaluation.optimal(benchmark: benchmark)], benchmark: benchmark)
        let labels = svg.split(separator: "\n").filter { $0.hasPrefix("<text x=\"22.0\"") }
            .compactMap { $0.split(separator: ">").dropFirst().first?.split(separator: "<").first.flatMap { Double($0) } }
        #expect(labels.count == 6)
        #expect((labels.min() ?? 0) <= 31.0 / 6 && (labels.max() ?? 0) >= 8 && (labels.max() ?? 99) <= 10)
    }

    /// RouteLLM drops a question when either of its turns is contaminated.
    @Test func contaminatedQuestionsAreDroppedBeforeEvaluating() throws {
        let directory = try directory(contaminated: ["Critique your own email."])
        defer { directory.remove() }
        let clean = try MTBench.benchmark(directory: directory.url, strongModel: Self.strong, weakModel: Self.weak)
        #expect(clean.items.map(\.weakScore) == [5, 2.5])
        let all = try MTBench.benchmark(directory: directory.url, strongModel: Self.strong, weakModel: Self.weak, decontaminate: false)
        #expect(all.items.count == 3)
    }

    @Test func missingJudgementsAreNamed() throws {
        let directory = try directory()
        defer { directory.remove() }
        let absent = #expect(throws: BenchmarkDataError.self) {
            try MTBench.benchmark(directory: directory.url, strongModel: "gpt-4-0613", weakModel: Self.weak)
        }
        #expect(absent?.message == "no judgement of gpt-4-0613; it judges claude-2.1, gpt-4-1106-preview, mixtral-8x7b-instruct-v0.1")
        let questions = [MTBench.Question(id: "1", turns: ["q1"]), MTBench.Question(id: "2", turns: ["q2"])]
        let partial = [MTBench.Judgement(questionID: "1", model: "s", score: 5, turn: 1), MTBench.Judgement(questionID: "1", model: "w", score: 5, turn: 1),
                       MTBench.Judgement(questionID: "2", model: "s", score: 5, turn: 1)]
        let gap = #expect(throws: BenchmarkDataError.self) { try MTBench.benchmark(questions: questions, judgements: partial, strongModel: "s", weakModel: "w") }
        #expect(gap?.message == "question 2 has no judgement of w")
    }

    @Test(arguments: [
        (#"{"question_id": 81, "model": "m", "score": 11, "turn": 1}"#, "line 2: score 11.0 is outside 1-10"),
        (#"{"question_id": 81, "model": "m", "score": 5}"#, "line 2: \"turn\" must be an integer from 1"),
        (#"{"question_id": 81, "model": "m", "score": "high", "turn": 1}"#, "line 2: \"score\" is missing or not a number"),
        (#"{"model": "m", "score": 5, "turn": 1}"#, "line 2: \"question_id\" is missing or not a number or string"),
        (#"{"question_id": 81, "model": "m", "score": 5, "turn": 1"#, "line 2 is not a JSON object"),
    ])
    func badJudgementsAreNamed(line: String, message: String) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = try directory.write("judgements.jsonl", #"{"question_id": 81, "model": "m", "score": 5, "turn": 1}"# + "\n" + line + "\n")
        let error = #expect(throws: BenchmarkDataError.self) { try MTBench.judgements(file) }
        #expect(error?.description == "\(file.path): \(message)")
    }

    @Test func judgementsOfUnknownQuestionsOrTurnsAreNamed() throws {
        let directory = try directory()
        defer { directory.remove() }
        try directory.write("judgements.jsonl", #"{"question_id": 81, "model": "m", "score": 5, "turn": 3}"# + "\n")
        let turn = #expect(throws: BenchmarkDataError.self) { try MTBench.battles(directory: directory.url) }
        #expect(turn?.message == "line 1: turn 3, but question 81 has 2 turns")
        try directory.write("judgements.jsonl", "\n" + #"{"question_id": 99, "model": "m", "score": 5, "turn": 1}"# + "\n")
        let unknown = #expect(throws: BenchmarkDataError.self) { try MTBench.battles(directory: directory.url) }
        #expect(unknown?.message == "line 2: question_id 99 is not in question.jsonl")
    }

    @Test func badQuestionsAreNamed() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let repeated = try directory.write("question.jsonl", #"{"question_id": 1, "turns": ["a"]}"# + "\n" + #"{"question_id": 1, "turns": ["b"]}"# + "\n")
        #expect(throws: BenchmarkDataError.self) { try MTBench.questions(repeated) }
        let empty = try directory.write("question.jsonl", #"{"question_id": 1, "turns": []}"# + "\n")
        let error = #expect(throws: BenchmarkDataError.self) { try MTBench.questions(empty) }
        #expect(error?.message == "line 1: \"turns\" must be a non-empty list of strings")
    }
}
