/// One option of a command.
public struct OptionSpec: Sendable {
    public let name: String
    public let environment: String?
    public let defaultValue: String?
    public let help: String
    public let isFlag: Bool
    public let valueName: String

    public init(_ name: String, env: String? = nil, default defaultValue: String? = nil, value valueName: String = "VALUE", help: String) {
        self.name = name
        self.environment = env
        self.defaultValue = defaultValue
        self.help = help
        self.isFlag = false
        self.valueName = valueName
    }

    public static func flag(_ name: String, env: String? = nil, help: String) -> OptionSpec {
        OptionSpec(name: name, environment: env, help: help)
    }

    private init(name: String, environment: String?, help: String) {
        self.name = name
        self.environment = environment
        self.defaultValue = nil
        self.help = help
        self.isFlag = true
        self.valueName = ""
    }
}
