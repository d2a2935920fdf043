import Foundation

/// The artifacts a router has served, kept beside the live one so that a promotion can be
/// undone: `<routers>/.history/<name>/<time>-<version>.json`. The scorers never read the
/// history (they load top-level `*.json` only), and every change to the live file is a
/// rename, so a scorer sees the old artifact or the new one, never half of either.
public struct ArtifactHistory: Sendable {
    public let routersDirectory: URL
    public let name: String

    public init(routersDirectory: URL, name: String) {
        self.routersDirectory = routersDirectory
        self.name = name
    }

    static let rolledBack = "-rolled-back"

    public var liveFile: URL { routersDirectory.appendingPathComponent("\(name).json") }
    public var directory: URL { routersDirectory.appendingPathComponent(".history").appendingPathComponent(name) }

    /// Earlier artifacts, oldest first.
    public var entries: [URL] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return files.filter { $0.hasSuffix(".json") }.sorted().map { directory.appendingPathComponent($0) }
    }

    /// Makes `candidate` the live artifact, keeping the one it replaces in the history. The
    /// candidate is written beside the live file and read back (checksum, weights, embedding
    /// model) before it replaces it: a file the scorers would refuse never goes live.
    /// - Returns: where the replaced artifact was kept (nil when there was none).
    @discardableResult
    public func promote(_ candidate: RouterArtifact, now: Date = Date()) throws -> URL? {
        let staged = routersDirectory.appendingPathComponent(".\(name).json.candidate-\(getpid())")
        defer { try? FileManager.default.removeItem(at: staged) }
        try candidate.write(to: staged)
        _ = try RouterArtifact.load(from: staged, expectedModel: candidate.embeddingModel, expectedDimensions: candidate.embeddingDimensions)
        let kept = try keepLive(now: now, note: "")
        try replaceLive(with: staged)
        return kept
    }

    /// Puts the newest history entry back live, checking it loads first; the artifact it
    /// replaces is kept in the history too, marked as rolled back, so nothing is lost, and a
    /// second rollback goes one further back rather than undoing the first.
    /// - Returns: the artifact now live.
    /// - Throws: `ArtifactError` when there is no earlier artifact, or it is damaged.
    public func rollBack(expectedModel: String? = nil, now: Date = Date()) throws -> RouterArtifact {
        guard let previous = entries.last(where: { !$0.lastPathComponent.hasSuffix(Self.rolledBack + ".json") }) else {
            throw ArtifactError(path: directory.path, problem: "holds no earlier artifact of \(name) to roll back to")
        }
        let restored = try RouterArtifact.load(from: previous, expectedModel: expectedModel)
        let staged = routersDirectory.appendingPathComponent(".\(name).json.rollback-\(getpid())")
        try? FileManager.default.removeItem(at: staged)
        try FileManager.default.copyItem(at: previous, to: staged)
        try keepLive(now: now, note: Self.rolledBack)
        try replaceLive(with: staged)
        try FileManager.default.removeItem(at: previous)
        return restored
    }

    /// Renames `staged` over the live file: a scorer sees the old artifact or the new one.
    private func replaceLive(with staged: URL) throws {
        guard rename(staged.path, liveFile.path) == 0 else {
            let code = errno
            try? FileManager.default.removeItem(at: staged)
            throw ArtifactError(path: liveFile.path, problem: "could not be replaced: \(String(cString: strerror(code)))")
        }
    }

    /// Copies the live artifact into the history; nil when there is none.
    @discardableResult
    private func keepLive(now: Date, note: String) throws -> URL? {
        guard FileManager.default.fileExists(atPath: liveFile.path) else { return nil }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let version = (try? RouterArtifact.load(from: liveFile)).map { String($0.checksum.prefix(12)) } ?? "unreadable"
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss.SSS'Z'"
        let kept = directory.appendingPathComponent("\(formatter.string(from: now))-\(version)\(note).json")
        try FileManager.default.copyItem(at: liveFile, to: kept)
        return kept
    }
}
