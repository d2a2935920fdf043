import Foundation

/// One benchmark question with known outcomes for the strong and weak model.
///
/// Correctness benchmarks (MMLU, GSM8K) score 1 for a right answer and 0 for a wrong one;
/// judge-scored benchmarks (MT-Bench) score the mean judge score of the model's answers.
public struct BenchmarkItem: Sendable, Equatable {
    public var prompt: String
    public var strongScore: Double
    public var weakScore: Double

    public init(prompt: String, strongScore: Double, weakScore: Double) {
        self.prompt = prompt
        self.strongScore = strongScore
        self.weakScore = weakScore
    }
}

/// A benchmark: its items and the models they were answered by.
public struct Benchmark: Sendable {
    /// What an item's score is, which decides how quality is printed and plotted (the metrics
    /// themselves are scale-free).
    public enum Scale: Sendable {
        /// 1 right, 0 wrong: quality is an accuracy, shown as a percentage.
        case correctness
        /// A judge's 1-10 score: quality is a mean score, shown as a number.
        case judgeScore
    }

    public var name: String
    public var strongModel: String
    public var weakModel: String
    public var items: [BenchmarkItem]
    public var scale: Scale

    public init(name: String, strongModel: String, weakModel: String, items: [BenchmarkItem], scale: Scale = .correctness) {
        self.name = name
        self.strongModel = strongModel
        self.weakModel = weakModel
        self.items = items
        self.scale = scale
    }

    public var strongQuality: Double { items.isEmpty ? 0 : items.reduce(0) { $0 + $1.strongScore } / Double(items.count) }
    public var weakQuality: Double { items.isEmpty ? 0 : items.reduce(0) { $0 + $1.weakScore } / Double(items.count) }
}

/// Why benchmark data could not be read.
public struct BenchmarkDataError: Error, Sendable, CustomStringConvertible {
    public let path: String
    public let message: String
    public var description: String { "\(path): \(message)" }
}

/// Reads the benchmark files in `../shared/data` (or anything in the same formats).
public enum BenchmarkData {
    public static let strongModel = "gpt-4-1106-preview"
    public static let weakModel = "mistralai/Mixtral-8x7B-Instruct-v0.1"

    /// The data directory: `TURNOUT_DATA_DIR`, else `../shared/data` from the working directory when present.
    public static func defaultDirectory() -> URL? {
        if let variable = ProcessInfo.processInfo.environment["TURNOUT_DATA_DIR"], !variable.isEmpty {
            return URL(fileURLWithPath: variable)
        }
        let sibling = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("../shared/data").standardizedFileURL
        return FileManager.default.fileExists(atPath: sibling.path) ? sibling : nil
    }

    /// MMLU: every `responses/mmlu_*.csv` under `directory`, minus `contaminated_prompts.jsonl`.
    public static func mmlu(directory: URL, decontaminate: Bool = true) throws(BenchmarkDataError) -> Benchmark {
        let responses = directory.appendingPathComponent("responses")
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: responses.path).filter { $0.hasPrefix("mmlu_") && $0.hasSuffix(".csv") }.sorted()
        } catch {
            throw BenchmarkDataError(path: responses.path, message: "cannot list the MMLU response files: \(error.localizedDescription)")
        }
        guard !names.isEmpty else { throw BenchmarkDataError(path: responses.path, message: "no mmlu_*.csv files") }
        var items: [BenchmarkItem] = []
        for name in names {
            items += try correctnessItems(responses.appendingPathComponent(name))
        }
        let contaminated = decontaminate ? try contaminatedPrompts(directory.appendingPathComponent("contaminated_prompts.jsonl")) : []
        return Benchmark(name: "mmlu", strongModel: strongModel, weakModel: weakModel, items: items.filter { !contaminated.contains($0.prompt) })
    }

    /// GSM8K: `gsm8k_responses.csv` under `directory`, minus `contaminated_prompts.jsonl`.
    public static func gsm8k(directory: URL, decontaminate: Bool = true) throws(BenchmarkDataError) -> Benchmark {
        let items = try correctnessItems(directory.appendingPathComponent("gsm8k_responses.csv"))
        let contaminated = decontaminate ? try contaminatedPrompts(directory.appendingPathComponent("contaminated_prompts.jsonl")) : []
        return Benchmark(name: "gsm8k", strongModel: strongModel, weakModel: weakModel, items: items.filter { !contaminated.contains($0.prompt) })
    }

    /// Rows with `prompt` and a True/False column per model.
    static func correctnessItems(_ file: URL) throws(BenchmarkDataError) -> [BenchmarkItem] {
        let text = try read(file)
        let records: [[String: String]]
        do {
            records = try CSVReader.records(text)
        } catch {
            throw BenchmarkDataError(path: file.path, message: error.description)
        }
        var items: [BenchmarkItem] = []
        items.reserveCapacity(records.count)
        for (index, record) in records.enumerated() {
            guard let prompt = record["prompt"], let strong = record[strongModel], let weak = record[weakModel] else {
                throw BenchmarkDataError(path: file.path, message: "row \(index + 2) lacks prompt, \(strongModel) or \(weakModel)")
            }
            guard let strongRight = Self.bool(strong), let weakRight = Self.bool(weak) else {
                throw BenchmarkDataError(path: file.path, message: "row \(index + 2): correctness must be True or False")
            }
            items.append(BenchmarkItem(prompt: prompt, strongScore: strongRight ? 1 : 0, weakScore: weakRight ? 1 : 0))
        }
        return items
    }

    /// `{"eval_prompt": ...}` per line; a missing file means nothing to remove.
    public static func contaminatedPrompts(_ file: URL) throws(BenchmarkDataError) -> Set<String> {
        guard FileManager.default.fileExists(atPath: file.path) else { return [] }
        var prompts: Set<String> = []
        for (line, object) in try JSONLines.objects(file) {
            guard let prompt = object["eval_prompt"] as? String else {
                throw BenchmarkDataError(path: file.path, message: "line \(line) is not {\"eval_prompt\": ...}")
            }
            prompts.insert(prompt)
        }
        return prompts
    }

    static func read(_ file: URL) throws(BenchmarkDataError) -> String {
        do {
            return try String(contentsOf: file, encoding: .utf8)
        } catch {
            throw BenchmarkDataError(path: file.path, message: "cannot read: \(error.localizedDescription)")
        }
    }

    static func bool(_ text: String) -> Bool? {
        switch text.trimmingCharacters(in: .whitespaces).lowercased() {
        case "true", "1", "1.0": true
        case "false", "0", "0.0": false
        default: nil
        }
    }
}
