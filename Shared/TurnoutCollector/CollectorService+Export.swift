import Foundation
import TurnoutCollectorAPI
import TurnoutStorage
import TurnoutTransport

/// `GET /battles` and `GET /feedback`: what the deployment learns from, one JSON object per
/// line (`application/x-ndjson`), in time order. `/battles` is the battle JSONL
/// `turnout train` and `turnout learn` read.
///
/// Query: `since` (Unix ms, inclusive; default 0), `until` (exclusive; default none) and, for
/// battles, `source` (`shadow` or `feedback`). The rows are read a page at a time while the
/// body streams, so an export of millions holds neither the store's lock nor the whole file.
/// These rows hold prompts: with `--export-api-keys` set, a bearer key is required.
extension CollectorService {
    func export(_ table: RecordStore.ExportTable, _ request: HTTPServerRequest) -> HTTPServerResponse {
        if let refusal = exportToken.refusal(authorization: request.header("authorization")) {
            let reason = refusal == .missing ? "this export needs a bearer key (--export-api-keys)" : "incorrect export key"
            return HTTPServerResponse(status: 401, headers: [("Content-Type", "application/json"), ("WWW-Authenticate", "Bearer")],
                                      body: .bytes(Self.errorBody(reason)))
        }
        let query: ExportQuery
        do {
            query = try ExportQuery(request.target, table: table)
        } catch {
            return .json(400, Self.errorBody(error.message))
        }
        // The first page is read here, so a store that cannot be read answers 500 rather than an empty 200.
        let first: (lines: [String], last: RecordStore.ExportCursor?)
        do throws(StorageError) {
            first = try records.exportPage(table, since: query.since, until: query.until, after: nil, source: query.source)
        } catch {
            logger.error("export failed", ["table": .string(table.rawValue), "error": .string(error.description)])
            return .json(500, Self.errorBody("export failed"))
        }
        let records = records
        let logger = logger
        return HTTPServerResponse(status: 200, headers: [("Content-Type", "application/x-ndjson")], body: .stream { writer in
            var page = first
            while true {
                var bytes: [UInt8] = []
                for line in page.lines {
                    bytes.append(contentsOf: line.utf8)
                    bytes.append(0x0A)
                }
                guard writer.write(bytes), let last = page.last, page.lines.count == RecordStore.exportPageSize else { return }
                do throws(StorageError) {
                    page = try records.exportPage(table, since: query.since, until: query.until, after: last, source: query.source)
                } catch {
                    // The head has gone: end the body early, which the client sees as a broken transfer.
                    logger.error("export failed midway", ["table": .string(table.rawValue), "error": .string(error.description)])
                    writer.abort()
                    return
                }
            }
        })
    }

    static func errorBody(_ message: String) -> [UInt8] {
        Array(#"{"error":{"message":"#.utf8) + Array((try? JSONEncoder().encode(message)) ?? Data("\"\"".utf8)) + Array("}}".utf8)
    }
}

/// The query string of an export.
struct ExportQuery {
    struct Invalid: Error {
        let message: String
    }

    var since: Int64 = 0
    var until: Int64 = .max
    var source: BattleRecord.Source?

    init(_ target: String, table: RecordStore.ExportTable) throws(Invalid) {
        let query = target.split(separator: "?", maxSplits: 1).dropFirst().first ?? ""
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            let value = parts.count == 2 ? String(parts[1]) : ""
            switch parts.first {
            case "since":
                guard let number = Int64(value), number >= 0 else { throw Invalid(message: "since must be Unix milliseconds") }
                since = number
            case "until":
                guard let number = Int64(value), number >= 0 else { throw Invalid(message: "until must be Unix milliseconds") }
                until = number
            case "source":
                guard table == .battles, let kind = BattleRecord.Source(rawValue: value) else {
                    throw Invalid(message: table == .battles ? "source must be shadow or feedback" : "source applies to /battles only")
                }
                source = kind
            default:
                throw Invalid(message: "unknown query parameter \"\(parts.first ?? "")\"; /\(table.rawValue) takes since, until\(table == .battles ? " and source" : "")")
            }
        }
    }
}
