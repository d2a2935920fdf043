import CTurnoutSystem
import Foundation

/// One `turnout <name>` command, for the command-line tools' subcommand tables.
public struct Subcommand: Sendable {
    public let name: String
    public let summary: String
    public let run: @Sendable ([String]) async -> Int32

    public init(name: String, summary: String, run: @escaping @Sendable ([String]) async -> Int32) {
        self.name = name
        self.summary = summary
        self.run = run
    }

    /// Runs the subcommand named by the first argument, or prints the overview.
    public static func dispatch(_ arguments: [String], among subcommands: [Subcommand], toolName: String, summary: String) async -> Int32 {
        guard let first = arguments.first, first != "--help", first != "-h", first != "help" else {
            if arguments.count > 1, let named = subcommands.first(where: { $0.name == arguments[1] }) {
                return await named.run(["--help"])
            }
            print(overview(subcommands, toolName: toolName, summary: summary), terminator: "")
            return 0
        }
        guard let subcommand = subcommands.first(where: { $0.name == first }) else {
            FileHandle.standardError.write(Data("\(toolName): unknown command '\(first)'\n\n\(overview(subcommands, toolName: toolName, summary: summary))".utf8))
            return 2
        }
        return await subcommand.run(Array(arguments.dropFirst()))
    }

    static func overview(_ subcommands: [Subcommand], toolName: String, summary: String) -> String {
        var text = "\(summary)\n\nUsage: \(toolName) <command> [options]\n\nCommands:\n"
        let width = (subcommands.map(\.name.count).max() ?? 0) + 4
        for subcommand in subcommands {
            text += "  \(subcommand.name)\(String(repeating: " ", count: width - subcommand.name.count))\(subcommand.summary)\n"
        }
        text += "\nRun '\(toolName) <command> --help' for the options of a command.\n"
        return text
    }
}

/// Makes standard output line-buffered even into a pipe or a file, so a tool's progress shows
/// when it happens (`turnout up`'s endpoints as soon as they are ready), not when it exits.
public func lineBufferStandardOutput() {
    cturnout_line_buffer_stdout()
}

/// Writes a line to standard error.
public func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
