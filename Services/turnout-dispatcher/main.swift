import TurnoutDispatcher
import TurnoutRuntime

await ServiceRunner.main(serviceName: DispatcherProgram.serviceName, spec: DispatcherProgram.spec) { context in
    try DispatcherProgram.makeService(context)
}
