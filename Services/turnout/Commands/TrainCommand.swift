import Foundation
import TurnoutEmbedding
import TurnoutRouting
import TurnoutRuntime

/// `turnout train`: trains a router and writes a sealed artifact.
enum TrainCommand {
    static let spec = CommandSpec(
        name: "turnout train",
        summary: "Train a router on golden labels from benchmark outcomes or on battles (Chatbot Arena votes, MT-Bench judge scores) and write a versioned, checksummed artifact. Deterministic for a given seed.",
        options: [
            OptionSpec("router", default: "mf", value: "mf|classifier|sw_ranking|gain", help: "Router kind (gain: Turnout's expected-gain router, see docs/routers.md)"),
            OptionSpec("train", value: "PATH,...", help: "Training data: benchmark directories (e.g. ../shared/data/mmlu), MT-Bench directories (question.jsonl, judgements.jsonl), Arena .csv or battle .jsonl files"),
            OptionSpec("out", value: "FILE", help: "Artifact to write"),
            OptionSpec("seed", default: "42", value: "N", help: "Seed for initialisation and shuffling"),
            OptionSpec("model-dir", env: "TURNOUT_MODEL_DIR", default: "models/all-MiniLM-L6-v2", value: "DIR", help: "Embedding model"),
            OptionSpec("cache", default: ".state/embedding-cache.sqlite", value: "FILE", help: "Embedding cache"),
        ] + TrainingOptions.specs
    )

    static let subcommand = Subcommand(name: "train", summary: "Train a router and write its artifact") { arguments in
        let options = ServiceRunner.parseOrExit(spec, arguments)
        do {
            let paths = TrainingOptions.paths(options, "train")
            guard !paths.isEmpty else { throw ConfigurationError.invalid("--train is required") }
            let out = URL(fileURLWithPath: try options.require("out"))
            let kind = options.string("router") ?? "mf"
            let seed = UInt64(try options.int("seed", range: 0...Int.max))
            let items = try TrainingOptions.corpus(paths, options).items
            let model = try EvalCommand.loadModel(options)
            let embeddings = try EvalCommand.embed(items.map(\.prompt), model: model, options: options)
            let outcomes = items.map(SimilarityWeightedRanking.Outcome.init)
            let set = RouterEvaluation.TrainingSet(embeddings: embeddings, items: items)
            let weights: RouterArtifact.Weights
            var hyperparameters: [String: Double] = ["seed": Double(seed)]
            switch kind {
            case "mf":
                var settings = MatrixFactorization.Hyperparameters()
                settings.seed = seed
                let decided = outcomes.indices.filter { outcomes[$0] != .tie }
                weights = .matrixFactorization(MatrixFactorization.train(embeddings: decided.map { embeddings[$0] },
                                                                         strongWon: decided.map { outcomes[$0] == .strongWins }, hyperparameters: settings))
                hyperparameters.merge(["dimension": Double(settings.dimension), "learning_rate": Double(settings.learningRate), "weight_decay": Double(settings.weightDecay),
                                       "batch_size": Double(settings.batchSize), "epochs": Double(settings.epochs), "noise": Double(settings.noise)]) { $1 }
            case "classifier":
                let settings = LogisticClassifier.Hyperparameters()
                weights = .classifier(LogisticClassifier(embeddings: embeddings, outcomes: outcomes, hyperparameters: settings))
                hyperparameters.merge(["l2": settings.l2, "iterations": Double(settings.iterations)]) { $1 }
            case "sw_ranking":
                // No training: the battles themselves, int8 per unique prompt (see QuantizedSimilarityRanking).
                guard embeddings.allSatisfy({ $0.count == model.dimensions }) else {
                    throw ConfigurationError.invalid("the embedding cache returned vectors that are not \(model.dimensions)-dimensional; delete it and retry")
                }
                weights = .similarityRanking(QuantizedSimilarityRanking(dimensions: model.dimensions, embeddings: embeddings, outcomes: outcomes))
            case "gain":
                var settings = ExpectedGainRouter.Hyperparameters()
                settings.seed = seed
                let router = ExpectedGainRouter(embeddings: set.embeddings, strongScores: set.strongScores, weakScores: set.weakScores, hyperparameters: settings)
                weights = .expectedGain(router)
                hyperparameters.merge(["l2": router.l2, "neighbours": Double(router.neighbours.neighbours), "prior_weight": settings.priorWeight,
                                       "inner_folds": Double(settings.innerFolds), "iterations": Double(settings.iterations)]) { $1 }
            default:
                throw ConfigurationError.invalid("--router must be mf, classifier, sw_ranking or gain")
            }
            var artifact = RouterArtifact(kind: kind, embeddingModel: model.modelID, embeddingDimensions: model.dimensions, hyperparameters: hyperparameters,
                                          trainingDataSHA256: TrainingData.fingerprint(items), trainingBattles: items.count, calibration: [:], weights: weights)
            artifact.calibration = TrainingData.calibration(winRates: embeddings.map(artifact.winRate(for:)))
            try artifact.write(to: out)
            print("wrote \(out.path): \(kind), \(items.count) battles, training data \(artifact.trainingDataSHA256.prefix(12)), threshold for 30% strong \(String(format: "%.4f", artifact.calibration["0.30"] ?? 0))")
            return 0
        } catch {
            printError("turnout train: \(error)")
            return 1
        }
    }
}
