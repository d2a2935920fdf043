import Foundation

/// Progress of a long step (embedding fifteen thousand prompts takes minutes), on standard
/// error: a bar redrawn in place on a terminal, and a plain line every `interval` otherwise,
/// so a log file shows the step is alive without a line per item.
public final class ProgressReport: @unchecked Sendable {
    // @unchecked Sendable: used from one thread at a time, by the step it reports on.
    public enum Style: Sendable, Equatable {
        case bar, lines
    }

    private let label: String
    private let total: Int
    private let style: Style
    private let interval: TimeInterval
    private let now: () -> Date
    private let write: (String) -> Void
    private let started: Date
    private var lastWritten: Date
    private var done = 0

    /// - Parameters:
    ///   - style: nil chooses from whether standard error is a terminal.
    public init(_ label: String, total: Int, style: Style? = nil, interval: TimeInterval = 10, now: @escaping () -> Date = Date.init,
                write: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.label = label
        self.total = max(total, 0)
        self.style = style ?? (isatty(2) == 1 ? .bar : .lines)
        self.interval = interval
        self.now = now
        self.write = write
        started = now()
        lastWritten = started
    }

    /// Records `count` more items done.
    public func advance(by count: Int) {
        done = min(total, done + count)
        let time = now()
        switch style {
        case .bar:
            write("\r" + bar(at: time) + (done == total ? "\n" : ""))
        case .lines:
            guard done == total || time.timeIntervalSince(lastWritten) >= interval else { return }
            lastWritten = time
            write(line(at: time) + "\n")
        }
    }

    /// `embedding: 2304/15256 (15%), 41 s, about 3 min 50 s left`.
    func line(at time: Date) -> String {
        let elapsed = time.timeIntervalSince(started)
        var text = "\(label): \(done)/\(total) (\(percent)%), \(Self.duration(elapsed))"
        if done > 0, done < total {
            text += ", about \(Self.duration(elapsed / Double(done) * Double(total - done))) left"
        }
        return text
    }

    func bar(at time: Date) -> String {
        let width = 30
        let filled = total > 0 ? width * done / total : width
        return "[" + String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled) + "] " + line(at: time)
    }

    private var percent: Int { total > 0 ? 100 * done / total : 100 }

    static func duration(_ seconds: TimeInterval) -> String {
        let whole = Int(seconds.rounded())
        if whole < 60 { return "\(whole) s" }
        if whole < 3600 { return "\(whole / 60) min \(whole % 60) s" }
        return "\(whole / 3600) h \(whole % 3600 / 60) min"
    }
}
