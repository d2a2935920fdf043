import TurnoutRuntime

/// Who a client key belongs to, and what it may spend. Records, summaries and metrics carry
/// the name, never the key.
public struct Tenant: Sendable, Equatable {
    public var name: String
    /// Chat completions a minute; nil: no limit.
    public var requestsPerMinute: Double?
    /// US dollars a calendar month (UTC); nil: no budget.
    public var monthlyBudgetUSD: Double?

    public init(name: String, requestsPerMinute: Double? = nil, monthlyBudgetUSD: Double? = nil) {
        self.name = name
        self.requestsPerMinute = requestsPerMinute
        self.monthlyBudgetUSD = monthlyBudgetUSD
    }

    /// Reads client key entries: `KEY`, `NAME:KEY`, and in a keys file also
    /// `NAME:KEY rpm=N budget_usd=N`. A key without a name is tenant `client-<n>`, its place
    /// among the keys.
    /// - Throws: a configuration error naming the entry (never the key).
    public static func parse(_ entries: [String], numberingFrom first: Int = 1) throws(ConfigurationError) -> [(key: String, tenant: Tenant)] {
        var parsed: [(key: String, tenant: Tenant)] = []
        for (offset, entry) in entries.enumerated() {
            let words = entry.split(whereSeparator: \.isWhitespace).map(String.init)
            guard let head = words.first else { continue }
            var tenant = Tenant(name: "client-\(first + offset)")
            var key = head
            if let colon = head.firstIndex(of: ":") {
                tenant.name = String(head[..<colon])
                key = String(head[head.index(after: colon)...])
                guard isValidName(tenant.name) else {
                    throw .invalid("client key \(first + offset): the tenant name \"\(tenant.name)\" must be 1 to 64 letters, digits, '.', '_' or '-'")
                }
            }
            guard !key.isEmpty else { throw .invalid("client key \(first + offset) (tenant \(tenant.name)) is empty") }
            for word in words.dropFirst() {
                let pair = word.split(separator: "=", maxSplits: 1).map(String.init)
                guard pair.count == 2, let value = Double(pair[1]), value.isFinite, value > 0 else {
                    throw .invalid("tenant \(tenant.name): \"\(word)\" must be rpm=N or budget_usd=N with N above 0")
                }
                switch pair[0] {
                case "rpm": tenant.requestsPerMinute = value
                case "budget_usd": tenant.monthlyBudgetUSD = value
                default: throw .invalid("tenant \(tenant.name): unknown setting \"\(pair[0])\" (rpm, budget_usd)")
                }
            }
            parsed.append((key, tenant))
        }
        var seen = Set<String>()
        for entry in parsed where !seen.insert(entry.tenant.name).inserted {
            throw .invalid("tenant \"\(entry.tenant.name)\" is named twice; give each client key its own name")
        }
        return parsed
    }

    static func isValidName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count) && name.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSetASCII.isAlphanumeric($0) || "._-".unicodeScalars.contains($0)) }
    }
}

/// ASCII tests without Foundation's character sets.
enum CharacterSetASCII {
    static func isAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
    }
}
