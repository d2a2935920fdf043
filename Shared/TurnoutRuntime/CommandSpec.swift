/// A command's options, each settable by flag or environment variable, with generated help.
///
/// Flags win over the environment, which wins over defaults: containers configure by
/// environment, people by flags, and both read the same `--help`.
public struct CommandSpec: Sendable {
    public let name: String
    public let summary: String
    public var options: [OptionSpec]
    /// Positional arguments, for help text only, e.g. `TEXT...`.
    public var positionalUsage: String?

    public init(name: String, summary: String, options: [OptionSpec], positionalUsage: String? = nil) {
        self.name = name
        self.summary = summary
        self.options = options
        self.positionalUsage = positionalUsage
    }

    /// Parses `arguments` (without the command name) against `environment`.
    /// - Throws: `ConfigurationError.helpRequested` for `-h`/`--help`, otherwise a message naming the bad flag.
    public func parse(_ arguments: [String], environment: [String: String]) throws(ConfigurationError) -> ParsedOptions {
        var values: [String: String] = [:]
        var positional: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "-h" || argument == "--help" { throw .helpRequested(helpText()) }
            if argument == "--" {
                positional.append(contentsOf: arguments[index...])
                break
            }
            guard argument.hasPrefix("--"), argument.count > 2 else {
                positional.append(argument)
                continue
            }
            var name = String(argument.dropFirst(2))
            var inlineValue: String?
            if let equals = name.firstIndex(of: "=") {
                inlineValue = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            guard let option = options.first(where: { $0.name == name }) else {
                throw .invalid("unknown option --\(name) for '\(self.name)' (see \(self.name) --help)")
            }
            if option.isFlag {
                values[name] = inlineValue ?? "true"
                continue
            }
            if let inlineValue {
                values[name] = inlineValue
            } else {
                guard index < arguments.count else { throw .invalid("option --\(name) needs a value") }
                values[name] = arguments[index]
                index += 1
            }
        }
        for option in options where values[option.name] == nil {
            if let variable = option.environment, let value = environment[variable], !value.isEmpty {
                values[option.name] = value
            } else if let value = option.defaultValue {
                values[option.name] = value
            }
        }
        return ParsedOptions(command: name, values: values, positional: positional)
    }

    public func helpText() -> String {
        var text = "\(summary)\n\nUsage: \(name) [options]\(positionalUsage.map { " \($0)" } ?? "")\n"
        guard !options.isEmpty else { return text }
        text += "\nOptions:\n"
        let rows = options.map { option -> (String, String) in
            let left = "  --\(option.name)\(option.isFlag ? "" : " \(option.valueName)")"
            var right = option.help
            if let value = option.defaultValue, !option.isFlag { right += " (default: \(value.isEmpty ? "\"\"" : value))" }
            if let variable = option.environment { right += " [env: \(variable)]" }
            return (left, right)
        }
        let width = min(40, (rows.map(\.0.count).max() ?? 0) + 2)
        for (left, right) in rows {
            if left.count + 2 > width {
                text += left + "\n" + String(repeating: " ", count: width) + right + "\n"
            } else {
                text += left + String(repeating: " ", count: width - left.count) + right + "\n"
            }
        }
        text += "  -h, --help" + String(repeating: " ", count: max(2, width - 12)) + "Show this help\n"
        return text
    }
}
