import Foundation
import TurnoutRuntime

/// Where tests find the package, its built executables and the shared data beside it.
public enum TestPaths {
    /// The package root, found from this file's path.
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The directory of the running test bundle, where `swift build` also put the executables.
    public static let buildDirectory: URL = ManagedProcess.currentExecutableDirectory

    /// A built executable of this package, e.g. `turnout`.
    public static func executable(_ name: String) -> String {
        buildDirectory.appendingPathComponent(name).path
    }

    /// A fresh temporary directory, removed by the caller when it likes.
    public static func temporaryDirectory(_ label: String = "turnout-test") -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
