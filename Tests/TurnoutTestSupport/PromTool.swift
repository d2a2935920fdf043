import Foundation
import TurnoutRuntime

/// `promtool check metrics` on an exposition.
///
/// Through `ManagedProcess`, whose wait runs on a Dispatch queue: Foundation's
/// `Process.waitUntilExit` spins a run loop on the calling thread, a thread of the two-thread
/// cooperative pool here, and was seen to never return (the suite stalled for 15 minutes
/// with that frame on the stack).
public enum PromTool {
    /// - Throws: `RawError` with promtool's complaints when it rejects the text.
    public static func check(_ text: String) async throws {
        let file = TestPaths.temporaryDirectory("promtool").appendingPathComponent("metrics.txt")
        try text.write(to: file, atomically: true, encoding: .utf8)
        // ManagedProcess reads the child's stderr: promtool's verdict goes there.
        let process = try ManagedProcess(executable: "/bin/sh", arguments: ["-c", "promtool check metrics < '\(file.path)' 1>&2"])
        let status = await process.exited()
        guard status == 0 else {
            throw RawError("promtool rejected the exposition (exit \(status)): \(process.logLines.joined(separator: "\n"))")
        }
    }
}
