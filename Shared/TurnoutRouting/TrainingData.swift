import Foundation
import TurnoutStorage

/// Golden-label training battles from benchmark outcomes, and their provenance hash.
public enum TrainingData {
    /// Items of every benchmark directory given (MMLU's `responses/` or GSM8K's CSV), undecontaminated:
    /// decontamination guards evaluation, not training.
    public static func benchmarkItems(_ directories: [URL]) throws(BenchmarkDataError) -> [BenchmarkItem] {
        var items: [BenchmarkItem] = []
        for directory in directories {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("responses").path) {
                items += try BenchmarkData.mmlu(directory: directory, decontaminate: false).items
            } else if FileManager.default.fileExists(atPath: directory.appendingPathComponent("gsm8k_responses.csv").path) {
                items += try BenchmarkData.gsm8k(directory: directory, decontaminate: false).items
            } else {
                throw BenchmarkDataError(path: directory.path, message: "holds neither responses/mmlu_*.csv nor gsm8k_responses.csv")
            }
        }
        return items
    }

    /// SHA-256 over every prompt and its outcome, in order.
    public static func fingerprint(_ items: [BenchmarkItem]) -> String {
        var hasher = SHA256()
        for item in items {
            hasher.update(item.prompt)
            hasher.update([0, UInt8(clamping: Int(item.strongScore * 10)), UInt8(clamping: Int(item.weakScore * 10)), 0xFF])
        }
        return SHA256.hex(hasher.finalize())
    }

    /// RouteLLM's `calibrate_threshold`: the win-rate quantile that sends `fraction` of prompts strong.
    public static func threshold(forStrongFraction fraction: Double, winRates: [Double]) -> Double {
        RouterMetrics.quantile(winRates.sorted(), min(1, max(0, 1 - fraction)))
    }

    /// Thresholds for strong fractions 0.05, 0.1, ..., 0.95, keyed like "0.30".
    public static func calibration(winRates: [Double]) -> [String: Double] {
        var table: [String: Double] = [:]
        for step in 1...19 {
            let fraction = Double(step) * 0.05
            table[key(fraction)] = threshold(forStrongFraction: fraction, winRates: winRates)
        }
        return table
    }

    public static func key(_ fraction: Double) -> String {
        let hundredths = Int((fraction * 100).rounded())
        return "0.\(hundredths < 10 ? "0" : "")\(hundredths)"
    }
}
