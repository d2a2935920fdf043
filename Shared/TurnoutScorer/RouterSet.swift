import Foundation
import Synchronization
import TurnoutRouting
import TurnoutScorerAPI
import TurnoutTelemetry

/// The routers a scorer serves: every `*.json` artifact in one directory, by file name.
///
/// Reloading never takes a router away on error: a file that fails to load (damaged, made for
/// another embedding model) is logged and its previous version keeps serving, so replacing an
/// artifact in place is safe with traffic flowing.
public final class RouterSet: Sendable {
    public struct Entry: Sendable {
        public let name: String
        public let artifact: RouterArtifact
        /// Short content hash: changes whenever the artifact does.
        public let version: String
        let fileStamp: FileStamp

        /// What `Scorer/Routers` says of this router.
        public var info: ScorerAPI.RouterInfo {
            var pass: String?
            if case .similarityRanking(let model) = artifact.weights { pass = model.similarityPass.rawValue }
            return ScorerAPI.RouterInfo(name: name, kind: artifact.kind, version: version, embeddingModel: artifact.embeddingModel,
                                        embeddingDims: artifact.embeddingDimensions, trainingBattles: artifact.trainingBattles,
                                        createdAt: artifact.createdAt, strongFractions: artifact.calibration.keys.sorted(), similarityPass: pass,
                                        trainingSources: artifact.trainingSources?.map { source in
                                            ScorerAPI.TrainingSource(name: source.name, kind: source.kind, items: source.items, strongWins: source.strongWins,
                                                                     weakWins: source.weakWins, ties: source.ties, licence: source.licence, weight: source.weight,
                                                                     fromMs: source.fromMs, toMs: source.toMs)
                                        })
        }
    }

    struct FileStamp: Sendable, Equatable {
        let inode: UInt64
        let modified: Double
        let size: UInt64
    }

    public let directory: URL
    public let embeddingModel: String?
    public let embeddingDimensions: Int?
    private let logger: Logger
    private let entries = Mutex<[String: Entry]>([:])
    private let reloads: Counter
    private let failures: Counter

    public init(directory: URL, embeddingModel: String?, embeddingDimensions: Int?, metrics: MetricsRegistry, logger: Logger) {
        self.directory = directory
        self.embeddingModel = embeddingModel
        self.embeddingDimensions = embeddingDimensions
        self.logger = logger
        reloads = metrics.counter("turnout_scorer_artifact_reloads_total", help: "Router artifacts loaded, by outcome.", labels: ["outcome": "loaded"])
        failures = metrics.counter("turnout_scorer_artifact_reloads_total", help: "Router artifacts loaded, by outcome.", labels: ["outcome": "rejected"])
    }

    public func entry(_ name: String) -> Entry? {
        entries.withLock { $0[name] }
    }

    public var all: [Entry] {
        entries.withLock { $0.values.sorted { $0.name < $1.name } }
    }

    /// Loads new and changed artifacts; `force` reloads every file (SIGHUP).
    /// - Returns: the names whose artifact changed.
    @discardableResult
    public func reload(force: Bool = false) -> [String] {
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
            .filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.sorted()
        var changed: [String] = []
        for file in files {
            let url = directory.appendingPathComponent(file)
            let name = String(file.dropLast(5))
            guard let stamp = Self.stamp(url) else { continue }
            if !force, entry(name)?.fileStamp == stamp { continue }
            do throws(ArtifactError) {
                let artifact = try RouterArtifact.load(from: url, expectedModel: embeddingModel, expectedDimensions: embeddingDimensions)
                let version = String(artifact.checksum.prefix(12))
                let previous = entry(name)
                entries.withLock { $0[name] = Entry(name: name, artifact: artifact, version: version, fileStamp: stamp) }
                reloads.increment()
                if previous?.version != version {
                    changed.append(name)
                    logger.info("router loaded", ["router": .string(name), "kind": .string(artifact.kind), "version": .string(version)])
                }
            } catch {
                failures.increment()
                // Remember the stamp so a bad file is reported once, not on every poll.
                if let previous = entry(name) {
                    entries.withLock { $0[name] = Entry(name: name, artifact: previous.artifact, version: previous.version, fileStamp: stamp) }
                    logger.error("router artifact rejected; the previous version keeps serving", ["router": .string(name), "error": .string(error.description)])
                } else {
                    logger.error("router artifact rejected", ["router": .string(name), "error": .string(error.description)])
                }
            }
        }
        return changed
    }

    static func stamp(_ url: URL) -> FileStamp? {
        var info = stat()
        guard stat(url.path, &info) == 0 else { return nil }
        return FileStamp(inode: UInt64(info.st_ino), modified: Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9, size: UInt64(info.st_size))
    }
}
