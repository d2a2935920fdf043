import Foundation
import Glibc
import TurnoutRuntime

/// `turnout bench <name>`: runs `turnout-bench`, the benchmarks' own executable beside this
/// one, so the load generators and test stand-ins they drive never ship in the product.
enum BenchCommand {
    static let executableName = "turnout-bench"

    static let subcommand = Subcommand(name: "bench", summary: "Run a benchmark (wire, collector, embed, scorer, dispatch, adapt, calibrate, faults) with \(executableName)") { arguments in
        let path = ManagedProcess.currentExecutableDirectory.appendingPathComponent(executableName).path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            printError("turnout bench: \(path) not found; benchmarks are built with the package (swift build -c release), not shipped in images")
            return 2
        }
        // Replaces this process, so signals, exit codes and output are the benchmark's own.
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        execv(path, argv)
        printError("turnout bench: could not run \(path): \(String(cString: strerror(errno)))")
        return 1
    }
}
