import Foundation
import TurnoutRuntime

/// Secrets mounted as files (Docker and Compose secrets under /run/secrets, Kubernetes secret
/// volumes), so keys need not sit in environment variables, which `docker inspect` shows.
enum SecretFile {
    /// Client keys from a file: one per line or comma-separated, blank lines and `#` comments skipped.
    static func keys(at path: String, option: String) throws(ConfigurationError) -> [String] {
        let text = try contents(of: path, option: option)
        let keys = text.split(whereSeparator: \.isNewline)
            .map { $0.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? "" }
            .flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        guard !keys.isEmpty else { throw .invalid("\(option) \(path) holds no keys") }
        return keys
    }

    /// `environment` with each of `variables` that is unset or empty read from the file
    /// `<VARIABLE>_FILE` names, when it names one (the convention of official Docker images).
    static func resolving(_ environment: [String: String], variables: [String]) throws(ConfigurationError) -> [String: String] {
        var resolved = environment
        for variable in Set(variables) where (environment[variable] ?? "").isEmpty {
            guard let path = environment[variable + "_FILE"], !path.isEmpty else { continue }
            resolved[variable] = try contents(of: path, option: variable + "_FILE").trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return resolved
    }

    private static func contents(of path: String, option: String) throws(ConfigurationError) -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .invalid("\(option): cannot read \(path): \(error.localizedDescription)")
        }
    }
}
