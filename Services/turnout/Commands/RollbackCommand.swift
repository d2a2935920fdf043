import Foundation
import TurnoutRouting
import TurnoutRuntime

/// `turnout rollback`: puts a router's previous artifact back where the scorers load it.
enum RollbackCommand {
    static let spec = CommandSpec(
        name: "turnout rollback",
        summary: "Restore the artifact a router served before its last promotion (kept in <routers-dir>/.history/NAME/ by turnout learn); the scorers reload it.",
        options: [
            OptionSpec("router", value: "NAME", help: "The router: <routers-dir>/NAME.json"),
            OptionSpec("routers-dir", env: "TURNOUT_SCORER_ROUTERS_DIR", default: "routers", value: "DIR", help: "Where the scorers load routers from"),
        ]
    )

    static let subcommand = Subcommand(name: "rollback", summary: "Restore a router's previous artifact") { arguments in
        let options = ServiceRunner.parseOrExit(spec, arguments)
        do {
            let history = ArtifactHistory(routersDirectory: URL(fileURLWithPath: try options.require("routers-dir")), name: try options.require("router"))
            let restored = try history.rollBack()
            print("restored \(history.liveFile.path): \(restored.kind), version \(restored.checksum.prefix(12)), created \(restored.createdAt)")
            return 0
        } catch {
            printError("turnout rollback: \(error)")
            return 1
        }
    }
}
