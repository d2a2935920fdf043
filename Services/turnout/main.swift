import Foundation
import TurnoutRuntime

/// `turnout`: the command-line tool. Each subcommand lives in its own file under Commands/ or Bench/.
let subcommands: [Subcommand] = [
    EchoServerCommand.subcommand,
    HealthCommand.subcommand,
    CallCommand.subcommand,
    EmbedCommand.subcommand,
    EvalCommand.subcommand,
    TrainCommand.subcommand,
    CalibrateCommand.subcommand,
    LearnCommand.subcommand,
    RollbackCommand.subcommand,
    UpCommand.subcommand,
    DownCommand.subcommand,
    DemoCommand.subcommand,
    BenchCommand.subcommand,
]

lineBufferStandardOutput()
let arguments = Array(CommandLine.arguments.dropFirst())
let code = await Subcommand.dispatch(arguments, among: subcommands, toolName: "turnout",
                                     summary: "Turnout: an LLM router that sends each prompt to a strong or a weak model.")
exit(code)
