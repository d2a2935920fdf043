import Foundation
import CTurnoutSystem
import Glibc
import Synchronization
import TurnoutWire

/// A child process whose JSON log lines (stderr) are read, kept and optionally saved to a file.
///
/// Used by `turnout up`, the benchmarks and the tests: start a service on port 0, wait for
/// its "listening" line to learn the port, then stop it with SIGTERM (or SIGKILL it).
/// Spawned with `posix_spawn` and an empty signal mask: Foundation's `Process` spawns from
/// Dispatch threads, whose blocked signals the child would inherit, so SIGTERM never arrived.
public final class ManagedProcess: Sendable {
    public enum Failure: Error, CustomStringConvertible, Sendable {
        case launch(String)
        case exitedEarly(status: Int32, log: String)
        case notReady(log: String)

        public var description: String {
            switch self {
            case let .launch(message): "could not launch: \(message)"
            case let .exitedEarly(status, log): "exited with status \(status) before listening; last log lines:\n\(log)"
            case let .notReady(log): "did not report listening in time; last log lines:\n\(log)"
            }
        }
    }

    private struct State {
        var lines: [String] = []
        var port: Int?
        var outputEnded = false
        var exitStatus: Int32?
    }

    public let pid: pid_t
    public let executable: String
    public let arguments: [String]
    private let state = Mutex(State())
    private let ready = DispatchSemaphore(value: 0)
    private let outputDone = DispatchSemaphore(value: 0)

    /// Launches `executable` with `arguments` (and `environment`, else this process's);
    /// stderr is parsed and appended to `logFile` when given; stdout goes to `logFile` too, or nowhere.
    public init(executable: String, arguments: [String], environment: [String: String]? = nil, logFile: URL? = nil) throws(Failure) {
        self.executable = executable
        self.arguments = arguments
        var fds: [Int32] = [-1, -1]
        guard cturnout_pipe_cloexec(&fds) == 0 else { throw .launch("pipe: \(String(cString: strerror(errno)))") }
        let outputFD = logFile.map { open($0.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644) } ?? open("/dev/null", O_WRONLY | O_CLOEXEC)
        defer { if outputFD >= 0 { close(outputFD) } }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if outputFD >= 0 { posix_spawn_file_actions_adddup2(&actions, outputFD, 1) }
        posix_spawn_file_actions_adddup2(&actions, fds[1], 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptySet = sigset_t()
        sigemptyset(&emptySet)
        var defaultSet = sigset_t()
        sigfillset(&defaultSet)
        posix_spawnattr_setsigmask(&attributes, &emptySet)
        posix_spawnattr_setsigdefault(&attributes, &defaultSet)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var childEnvironment = environment ?? ProcessInfo.processInfo.environment
        // Turnout's services (and the test upstream) end themselves if this process dies.
        childEnvironment["TURNOUT_EXIT_WITH_PARENT"] = "1"
        let environmentPairs = childEnvironment.map { "\($0.key)=\($0.value)" }
        let envp = environmentPairs.map { strdup($0) } + [nil]
        defer { envp.forEach { free($0) } }
        var child: pid_t = 0
        let result = posix_spawn(&child, executable, &actions, &attributes, argv, envp)
        close(fds[1])
        guard result == 0 else {
            close(fds[0])
            throw .launch("\(executable): \(String(cString: strerror(result)))")
        }
        pid = child
        let readFD = fds[0]
        // O_APPEND, as the child's stdout has: both write at the end of the file, so neither
        // overwrites the other's lines (a handle that seeks once writes at its own offset).
        let log: FileHandle? = logFile.flatMap { url in
            let fd = open(url.path, O_WRONLY | O_APPEND | O_CLOEXEC)
            return fd >= 0 ? FileHandle(fileDescriptor: fd, closeOnDealloc: true) : nil
        }
        let thread = Thread { [self] in readLines(from: readFD, log: log) }
        thread.start()
    }

    /// Waits until the process logs that it is listening and returns the port it bound.
    public func waitUntilListening(timeout: Duration = .seconds(60)) throws(Failure) -> Int {
        let deadline = DispatchTime.now() + .milliseconds(Int(timeout.milliseconds))
        if ready.wait(timeout: deadline) == .timedOut {
            throw .notReady(log: recentLog())
        }
        ready.signal()
        if let port = state.withLock({ $0.port }) { return port }
        throw .exitedEarly(status: waitForExit(), log: recentLog())
    }

    /// `waitUntilListening` without holding a thread of the cooperative pool.
    public func listening(timeout: Duration = .seconds(60)) async throws(Failure) -> Int {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Int, Failure>, Never>) in
            DispatchQueue.global().async {
                do throws(Failure) {
                    continuation.resume(returning: .success(try self.waitUntilListening(timeout: timeout)))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }

    /// `terminate(grace:)` without holding a thread of the cooperative pool while the child drains.
    @discardableResult
    public func terminated(grace: Duration = .seconds(15)) async -> Int32 {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: self.terminate(grace: grace)) }
        }
    }

    /// `waitForExit` without holding a thread of the cooperative pool.
    public func exited() async -> Int32 {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: self.waitForExit()) }
        }
    }

    /// The `port` field of the first log line whose `msg` is `message` (e.g. "http listening"),
    /// waiting for it up to `timeout`.
    public func port(loggedAs message: String, timeout: Duration = .seconds(60)) async throws(Failure) -> Int {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            for line in logLines where line.contains(message) {
                if let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                   object["msg"] as? String == message, let port = object["port"] as? Int {
                    return port
                }
            }
            if let status = exitStatusIfExited() { throw .exitedEarly(status: status, log: recentLog()) }
            try? await Task.sleep(for: .milliseconds(10))
        }
        throw .notReady(log: recentLog())
    }

    /// The last `count` log lines.
    public func recentLog(_ count: Int = 20) -> String {
        state.withLock { $0.lines.suffix(count).joined(separator: "\n") }
    }

    public var logLines: [String] { state.withLock { $0.lines } }

    public var isRunning: Bool { exitStatusIfExited() == nil }

    /// The exit status if the process has ended (a signal number s reads as 128 + s).
    public func exitStatusIfExited() -> Int32? {
        if let status = state.withLock({ $0.exitStatus }) { return status }
        var raw: Int32 = 0
        let result = waitpid(pid, &raw, WNOHANG)
        guard result == pid else { return nil }
        let status = Self.decode(raw)
        state.withLock { $0.exitStatus = status }
        return status
    }

    /// Blocks until the process ends and its last log lines are read, and returns its status.
    @discardableResult
    public func waitForExit() -> Int32 {
        if let status = state.withLock({ $0.exitStatus }) { return status }
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0, errno == EINTR {}
        let status = Self.decode(raw)
        state.withLock { $0.exitStatus = status }
        // A grandchild could hold stderr open forever; the lines come within moments or not at all.
        if outputDone.wait(timeout: .now() + .seconds(2)) == .success { outputDone.signal() }
        return status
    }

    /// Sends SIGTERM and waits for the exit status (SIGKILL after `grace`).
    @discardableResult
    public func terminate(grace: Duration = .seconds(15)) -> Int32 {
        if let status = exitStatusIfExited() { return status }
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(grace.seconds)
        while exitStatusIfExited() == nil, Date() < deadline { usleep(5_000) }
        if exitStatusIfExited() == nil { kill(pid, SIGKILL) }
        return waitForExit()
    }

    /// SIGKILL, as a crash would.
    public func killHard() {
        guard exitStatusIfExited() == nil else { return }
        kill(pid, SIGKILL)
        waitForExit()
    }

    private static func decode(_ raw: Int32) -> Int32 {
        let signal = raw & 0x7F
        return signal == 0 ? (raw >> 8) & 0xFF : 128 + signal
    }

    private func readLines(from fd: Int32, log: FileHandle?) {
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            if count <= 0 { break }
            log?.write(Data(buffer[0..<count]))
            pending.append(contentsOf: buffer[0..<count])
            while let newline = pending.firstIndex(of: 0x0A) {
                record(String(decoding: pending[0..<newline], as: UTF8.self))
                pending.removeSubrange(0...newline)
            }
        }
        close(fd)
        try? log?.close()
        let wasReady = state.withLock { state -> Bool in
            state.outputEnded = true
            return state.port != nil
        }
        if !wasReady { ready.signal() }
        outputDone.signal()
    }

    private func record(_ line: String) {
        var port: Int?
        if line.contains("listening"),
           let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
           object["msg"] as? String == "listening" {
            port = object["port"] as? Int
        }
        let signal = state.withLock { state -> Bool in
            state.lines.append(line)
            if state.lines.count > 2000 { state.lines.removeFirst(1000) }
            guard let port, state.port == nil else { return false }
            state.port = port
            return true
        }
        if signal { ready.signal() }
    }

    /// The directory of the running executable, for launching sibling executables of the same build.
    public static var currentExecutableDirectory: URL {
        let path = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: path).deletingLastPathComponent()
    }
}
