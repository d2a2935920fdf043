import Foundation
import TurnoutRuntime

/// `turnout-bench`: Turnout's benchmarks, apart from the product as swift-nio keeps its own.
/// `turnout bench <name>` runs this executable; each benchmark lives in its own file here.
let benches: [Subcommand] = [
    Subcommand(name: "wire", summary: "Echo round trips over loopback, against Redis", run: WireBench.run),
    Subcommand(name: "collector", summary: "Routing records ingested per second, durably", run: CollectorBench.run),
    Subcommand(name: "embed", summary: "The native encoder and the embedding service", run: EmbedBench.run),
    Subcommand(name: "scorer", summary: "Routers per query and the scoring service", run: ScorerBench.run),
    Subcommand(name: "dispatch", summary: "What the dispatcher adds over calling the upstream directly", run: DispatchBench.run),
    Subcommand(name: "faults", summary: "Gray failures under load: a hung upstream, a frozen scorer, a rate-limiting upstream", run: FaultBench.run),
    Subcommand(name: "calibrate", summary: "Live calibration: the strong share held through a shift from MMLU to GSM8K traffic, against a static threshold", run: CalibrateBench.run),
    Subcommand(name: "adapt", summary: "Learning from the deployment's own traffic: APGR before and after, and what shadowing costs", run: AdaptBench.run),
]

let code = await Subcommand.dispatch(Array(CommandLine.arguments.dropFirst()), among: benches, toolName: "turnout bench",
                                     summary: "Benchmarks (build with -c release). Each prints a table, or JSON with --json.")
exit(code)
