/// Renders metric snapshots in the Prometheus text exposition format, version 0.0.4.
///
/// Families and series come out sorted, so the output is deterministic and diffable; label
/// values are escaped (`\`, `"`, newline), which some client libraries forget.
public enum PrometheusText {
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// One exposition for many sources; `extraLabels` (e.g. service and instance) are added to
    /// every series of that source. Families with the same name from several sources are merged.
    public static func render(_ sources: [(extraLabels: [String: String], families: [MetricFamilySnapshot])]) -> String {
        var merged: [String: (family: MetricFamilySnapshot, samples: [MetricSample])] = [:]
        for source in sources {
            for family in source.families where isValidName(family.name) {
                var entry = merged[family.name] ?? (family, [])
                // A family whose kind or buckets disagree with the first seen is skipped, not mixed.
                guard entry.family.kind == family.kind, entry.family.buckets == family.buckets else { continue }
                for sample in family.samples {
                    var labeled = sample
                    labeled.labels.merge(source.extraLabels) { own, _ in own }
                    entry.samples.append(labeled)
                }
                merged[family.name] = entry
            }
        }
        var out = ""
        for name in merged.keys.sorted() {
            guard let (family, samples) = merged[name] else { continue }
            out += "# HELP \(name) \(escapeHelp(family.help))\n"
            out += "# TYPE \(name) \(family.kind.rawValue)\n"
            let sorted = samples.sorted { labelKey($0.labels) < labelKey($1.labels) }
            for sample in sorted {
                switch family.kind {
                case .counter, .gauge:
                    out += "\(name)\(labelText(sample.labels)) \(number(sample.value))\n"
                case .histogram:
                    let bounds = family.buckets ?? []
                    let counts = sample.bucketCounts ?? []
                    var cumulative: UInt64 = 0
                    for (index, bound) in bounds.enumerated() {
                        cumulative += index < counts.count ? counts[index] : 0
                        out += "\(name)_bucket\(labelText(sample.labels, extra: ("le", number(bound)))) \(cumulative)\n"
                    }
                    let total = sample.count ?? cumulative
                    out += "\(name)_bucket\(labelText(sample.labels, extra: ("le", "+Inf"))) \(total)\n"
                    out += "\(name)_sum\(labelText(sample.labels)) \(number(sample.value))\n"
                    out += "\(name)_count\(labelText(sample.labels)) \(total)\n"
                }
            }
        }
        return out
    }

    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`
    public static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first.isASCIILetter || first == "_" || first == ":" else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCIILetter || $0.isASCIIDigit || $0 == "_" || $0 == ":" }
    }

    public static func escapeLabelValue(_ value: String) -> String {
        var out = ""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static func escapeHelp(_ text: String) -> String {
        text.replacingAll("\\", with: "\\\\").replacingAll("\n", with: "\\n")
    }

    static func labelText(_ labels: [String: String], extra: (String, String)? = nil) -> String {
        var pairs = labels.filter { isValidLabelName($0.key) }.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        if let extra { pairs.append(extra) }
        guard !pairs.isEmpty else { return "" }
        return "{" + pairs.map { "\($0.0)=\"\(escapeLabelValue($0.1))\"" }.joined(separator: ",") + "}"
    }

    static func isValidLabelName(_ name: String) -> Bool {
        isValidName(name) && !name.contains(":") && !name.hasPrefix("__")
    }

    static func labelKey(_ labels: [String: String]) -> String {
        labels.sorted { $0.key < $1.key }.map { "\($0.key)\u{1}\($0.value)" }.joined(separator: "\u{2}")
    }

    static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}

extension Unicode.Scalar {
    var isASCIILetter: Bool { (0x41...0x5A).contains(value) || (0x61...0x7A).contains(value) }
    var isASCIIDigit: Bool { (0x30...0x39).contains(value) }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var out = ""
        var rest = Substring(self)
        while let range = rest.firstRange(of: target) {
            out += rest[..<range.lowerBound]
            out += replacement
            rest = rest[range.upperBound...]
        }
        return out + rest
    }
}
