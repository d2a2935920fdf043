import Foundation

/// A fresh directory under the system's temporary directory for one test's data files.
struct TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("turnout-routing-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// Writes `text` to `relative` (creating its directories) and returns its URL.
    @discardableResult
    func write(_ relative: String, _ text: String) throws -> URL {
        let file = url.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: file)
        return file
    }

    /// Writes one JSON object per line.
    @discardableResult
    func writeLines(_ relative: String, _ objects: [[String: Any]]) throws -> URL {
        let lines = try objects.map { String(decoding: try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]), as: UTF8.self) }
        return try write(relative, lines.joined(separator: "\n") + "\n")
    }

    func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}
