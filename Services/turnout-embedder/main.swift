import TurnoutEmbedder
import TurnoutEmbedding
import TurnoutRuntime

await ServiceRunner.main(serviceName: EmbedderProgram.serviceName, spec: EmbedderProgram.spec) { context in
    try EmbedderProgram.makeService(context) { local in
        try MiniLM(directory: local.directory, maxSequenceLength: local.maxTokens, precision: local.precision)
    }
}
