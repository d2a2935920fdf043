import TurnoutRuntime
import TurnoutScorer

await ServiceRunner.main(serviceName: ScorerProgram.serviceName, spec: ScorerProgram.spec) { context in
    try ScorerProgram.makeService(context)
}
