import Foundation
import TurnoutLocalStack
import TurnoutRuntime

/// `turnout down`: stops a stack that `turnout up` started.
enum DownCommand {
    static let spec = CommandSpec(
        name: "turnout down",
        summary: "Stop the stack `turnout up` runs from the same state directory, waiting for every service to drain.",
        options: [
            OptionSpec("state-dir", env: "TURNOUT_STATE_DIR", default: ".state/stack", value: "DIR", help: "The state directory given to turnout up"),
            OptionSpec("timeout", default: "60s", value: "DURATION", help: "How long to wait before killing what is left"),
        ]
    )

    static let subcommand = Subcommand(name: "down", summary: "Stop the stack started by `turnout up`") { arguments in
        let options = ServiceRunner.parseOrExit(spec, arguments)
        let url = URL(fileURLWithPath: options.string("state-dir") ?? ".state/stack").appendingPathComponent("stack.json")
        guard let data = try? Data(contentsOf: url), let record = try? JSONDecoder().decode(LocalStack.Record.self, from: data) else {
            printError("turnout down: no running stack recorded at \(url.path)")
            return 1
        }
        let timeout = (try? options.duration("timeout")) ?? .seconds(60)
        // The supervisor stops its services in order; if it is gone, the services are signalled directly.
        let targets = alive(record.supervisorPID) ? [record.supervisorPID] : Array(record.pids.values)
        for pid in targets { kill(pid, SIGTERM) }
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline, (targets + record.pids.values).contains(where: alive) {
            try? await Task.sleep(for: .milliseconds(50))
        }
        let left = (targets + record.pids.values).filter(alive)
        for pid in left { kill(pid, SIGKILL) }
        try? FileManager.default.removeItem(at: url)
        print(left.isEmpty ? "Stopped." : "Stopped; killed \(left.count) process(es) that did not exit in time.")
        return 0
    }

    static func alive(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0
    }
}
