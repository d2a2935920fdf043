import TurnoutCollector
import TurnoutRuntime

await ServiceRunner.main(serviceName: CollectorProgram.serviceName, spec: CollectorProgram.spec) { context in
    try CollectorProgram.makeService(context)
}
