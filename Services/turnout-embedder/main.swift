import TurnoutEmbedder
import TurnoutEmbedding
import TurnoutRuntime

await ServiceRunner.main(serviceName: EmbedderProgram.serviceName, spec: EmbedderProgram.spec) { context in
    try EmbedderProgram.makeService(context) { directory, precision in try MiniLM(directory: directory, precision: precision) }
}
