import TurnoutJSON
import TurnoutWire

// `Scorer/Score`'s messages, written and read by hand as the same JSON as `Codable`'s.
// Non-finite numbers, which JSON cannot hold, are left out of requests (the scorer then
// falls back as if they were absent) and never occur in answers.

extension ScorerAPI.ScoreRequest: HandCodedMessage {
    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(64 + (embedding?.count ?? 0) * 12 + (text?.utf8.count ?? 0))
        JSONWriter.appendRaw("{\"router\":", to: &bytes)
        JSONWriter.appendString(router, to: &bytes)
        if let embedding {
            JSONWriter.appendRaw(",\"embedding\":", to: &bytes)
            JSONWriter.appendFloats(embedding, to: &bytes)
        }
        if let text {
            JSONWriter.appendRaw(",\"text\":", to: &bytes)
            JSONWriter.appendString(text, to: &bytes)
        }
        if let threshold, threshold.isFinite {
            JSONWriter.appendRaw(",\"threshold\":", to: &bytes)
            bytes.append(contentsOf: threshold.description.utf8)
        }
        if let strongFraction, strongFraction.isFinite {
            JSONWriter.appendRaw(",\"strong_fraction\":", to: &bytes)
            bytes.append(contentsOf: strongFraction.description.utf8)
        }
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }

    /// Unknown fields are ignored and `null` reads as absent, as `Codable` reads them.
    public static func decoded(from bytes: [UInt8]) throws(RPCError) -> Self {
        let what = "Scorer/Score request"
        var request = Self(router: "")
        var sawRouter = false
        try WireCoding.scan(what, bytes) { (scanner: inout JSONScanner) throws(JSONError) in
            try scanner.readObject { (key: String, scanner: inout JSONScanner) throws(JSONError) in
                switch key {
                case "embedding": request.embedding = try scanner.consumeNull() ? nil : scanner.readFloatArray()
                case "text": request.text = try scanner.consumeNull() ? nil : scanner.readString()
                case "router":
                    request.router = try scanner.readString()
                    sawRouter = true
                case "threshold": request.threshold = try scanner.consumeNull() ? nil : scanner.readDouble()
                case "strong_fraction": request.strongFraction = try scanner.consumeNull() ? nil : scanner.readDouble()
                default: try scanner.skipValue()
                }
            }
        }
        guard sawRouter else { throw WireCoding.missingField("router", in: what) }
        return request
    }
}

extension ScorerAPI.ScoreResponse: HandCodedMessage {
    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(96 + route.utf8.count + routerVersion.utf8.count)
        JSONWriter.appendRaw("{\"win_rate\":", to: &bytes)
        bytes.append(contentsOf: String(winRate).utf8)
        JSONWriter.appendRaw(",\"route\":", to: &bytes)
        JSONWriter.appendString(route, to: &bytes)
        JSONWriter.appendRaw(",\"threshold\":", to: &bytes)
        bytes.append(contentsOf: String(threshold).utf8)
        JSONWriter.appendRaw(",\"router_version\":", to: &bytes)
        JSONWriter.appendString(routerVersion, to: &bytes)
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }

    public static func decoded(from bytes: [UInt8]) throws(RPCError) -> Self {
        let what = "Scorer/Score response"
        var winRate: Double?
        var route: String?
        var threshold: Double?
        var routerVersion: String?
        try WireCoding.scan(what, bytes) { (scanner: inout JSONScanner) throws(JSONError) in
            try scanner.readObject { (key: String, scanner: inout JSONScanner) throws(JSONError) in
                switch key {
                case "win_rate": winRate = try scanner.readDouble()
                case "route": route = try scanner.readString()
                case "threshold": threshold = try scanner.readDouble()
                case "router_version": routerVersion = try scanner.readString()
                default: try scanner.skipValue()
                }
            }
        }
        guard let winRate else { throw WireCoding.missingField("win_rate", in: what) }
        guard let route else { throw WireCoding.missingField("route", in: what) }
        guard let threshold else { throw WireCoding.missingField("threshold", in: what) }
        guard let routerVersion else { throw WireCoding.missingField("router_version", in: what) }
        return Self(winRate: winRate, route: route, threshold: threshold, routerVersion: routerVersion)
    }
}
