import Foundation
import Synchronization
import TurnoutCollectorAPI
import TurnoutHTTPClient
import TurnoutRuntime
import TurnoutTelemetry

/// Shadow judging (docs/learning.md): for a sampled share of routed requests, once the
/// client's answer is complete, the other model answers the same request and a judge model
/// compares the two answers, twice with their places swapped. The verdict is a battle, sent
/// to the collector for `turnout learn`.
///
/// The client never waits for any of it and never competes with it for much: jobs run on
/// their own tasks, at most `max_concurrency` at once, through their own HTTP client; each
/// call takes an upstream slot only when `reserve_slots` stay free for client traffic, and
/// never moves a breaker. Sampling stops while the last hour's shadow and judge calls have
/// cost `budget_usd_per_hour`.
public final class ShadowJudge: Sendable {
    private struct Series: Sendable {
        let sampled: Counter
        let skipped: [String: Counter]
        let judgements: [String: Counter]
        let shadowCost: Counter
        let judgeCost: Counter
        let spend: Gauge
        let pending: Gauge

        static let skipReasons = ["budget", "queue_full", "multi_turn", "tools", "too_large", "incomplete", "no_text"]
        static let outcomes = ["strong", "weak", "tie", "unparseable", "error", "timeout", "busy", "breaker_open"]

        init(_ metrics: MetricsRegistry) {
            sampled = metrics.counter("turnout_shadow_sampled_total", help: "Routed requests chosen for shadow judging.")
            var skipped: [String: Counter] = [:]
            for reason in Self.skipReasons {
                skipped[reason] = metrics.counter("turnout_shadow_skipped_total", help: "Shadow judging not done, by reason.", labels: ["reason": reason])
            }
            self.skipped = skipped
            var judgements: [String: Counter] = [:]
            for outcome in Self.outcomes {
                judgements[outcome] = metrics.counter("turnout_shadow_judgements_total", help: "Shadow jobs by outcome: the winner, or why no battle came of it.",
                                                      labels: ["outcome": outcome])
            }
            self.judgements = judgements
            shadowCost = metrics.counter("turnout_shadow_cost_usd_total", help: "Cost of learning calls in US dollars, by kind.", labels: ["kind": "shadow"])
            judgeCost = metrics.counter("turnout_shadow_cost_usd_total", help: "Cost of learning calls in US dollars, by kind.", labels: ["kind": "judge"])
            spend = metrics.gauge("turnout_shadow_spend_last_hour_usd", help: "What shadow and judge calls cost over the last hour, against the budget.")
            pending = metrics.gauge("turnout_shadow_pending", help: "Shadow jobs waiting or running.")
        }
    }

    public let configuration: LearningConfiguration.Shadow
    private let strong: String
    private let weak: String
    private let judge: UpstreamConfiguration?
    private let upstreams: [String: UpstreamConfiguration]
    private let caller: UpstreamCaller
    private let client: HTTPClient
    private let battles: RecordShipper<BattleRecord>?
    private let redactor: Redactor
    private let spend: SpendWindow
    private let series: Series
    private let logger: Logger
    private let clock: @Sendable () -> Int64
    private let queue: AsyncStream<ShadowTicket>.Continuation
    private let workers: Mutex<[Task<Void, Never>]>
    private let inFlight = Atomic<Int>(0)

    /// - Parameter client: the learning calls' own HTTP client (the caller shuts it down).
    public init(configuration: LearningConfiguration.Shadow, dispatcher: DispatcherConfiguration, caller: UpstreamCaller, client: HTTPClient,
                battles: RecordShipper<BattleRecord>?, redactor: Redactor, metrics: MetricsRegistry, logger: Logger,
                clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }) {
        self.configuration = configuration
        strong = dispatcher.strong
        weak = dispatcher.weak
        judge = configuration.judge.flatMap(dispatcher.upstream)
        upstreams = Dictionary(dispatcher.upstreams.map { ($0.name, $0) }) { first, _ in first }
        self.caller = caller
        self.client = client
        self.battles = battles
        self.redactor = redactor
        spend = SpendWindow(clock: clock)
        series = Series(metrics)
        self.logger = logger
        self.clock = clock
        let (stream, continuation) = AsyncStream<ShadowTicket>.makeStream(bufferingPolicy: .unbounded)
        queue = continuation
        workers = Mutex([])
        let tasks = (0..<configuration.maxConcurrency).map { _ in
            Task.detached { [self] in
                for await ticket in stream {
                    await run(ticket)
                    series.pending.set(Double(inFlight.subtract(1, ordering: .relaxed).newValue))
                }
            }
        }
        workers.withLock { $0 = tasks }
    }

    /// A ticket when `request` is to be shadowed: routed on a router sampled at this moment,
    /// answered by the model chosen, single-turn, and within budget. Nil otherwise.
    public func ticket(for request: ChatRequest, decision: RouteDecision, answeringModel: String, fellBack: Bool, requestID: String,
                       arrivedAtMs: Int64) -> ShadowTicket? {
        guard judge != nil, decision.isRouted, !decision.defaultRoute, !fellBack, let question = request.userText, !question.isEmpty else { return nil }
        let fraction = configuration.fraction(for: decision.router)
        guard fraction > 0, Double.random(in: 0..<1) < fraction else { return nil }
        guard request.userMessages == 1 else {
            series.skipped["multi_turn"]?.increment()
            return nil
        }
        // Tool use is answered with calls, not text: no judge can compare those, and the other
        // model's call would be paid for nothing.
        guard request.members["tools"] == nil, request.members["functions"] == nil else {
            series.skipped["tools"]?.increment()
            return nil
        }
        // A job holds the request until it runs: a big one is not worth the memory.
        guard request.members.bytes.count <= Self.maxBodyBytes else {
            series.skipped["too_large"]?.increment()
            return nil
        }
        let spent = spend.lastHour
        series.spend.set(spent)
        guard spent < configuration.budgetUSDPerHour else {
            series.skipped["budget"]?.increment()
            return nil
        }
        let other = answeringModel == strong ? weak : strong
        guard let otherUpstream = upstreams[other] else { return nil }
        series.sampled.increment()
        return ShadowTicket(requestID: requestID, timeMs: arrivedAtMs, question: question, instructions: request.instructions, router: decision.router, routerVersion: decision.routerVersion ?? "",
                            route: decision.route, answeringModel: answeringModel, otherModel: other, otherBody: request.shadowBody(model: otherUpstream.upstreamModel))
    }

    /// Requests larger than this are not shadowed.
    static let maxBodyBytes = 256 * 1024

    /// Queues the job of a ticket whose client answer has been delivered; returns at once.
    public func submit(_ ticket: ShadowTicket) {
        guard let answer = ticket.completedAnswer else {
            series.skipped["incomplete"]?.increment()
            return
        }
        guard !answer.isEmpty else {
            series.skipped["no_text"]?.increment()
            return
        }
        let waiting = inFlight.add(1, ordering: .relaxed).newValue
        guard waiting <= configuration.maxPending else {
            inFlight.subtract(1, ordering: .relaxed)
            series.skipped["queue_full"]?.increment()
            return
        }
        series.pending.set(Double(waiting))
        queue.yield(ticket)
    }

    /// Lets running jobs end, drops the rest.
    public func shutdown() async {
        queue.finish()
        let tasks = workers.withLock { $0 }
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
    }

    private func run(_ ticket: ShadowTicket) async {
        guard !Task.isCancelled, let answer = ticket.completedAnswer, let judge else { return }
        guard spend.lastHour < configuration.budgetUSDPerHour else {
            series.skipped["budget"]?.increment()
            return
        }
        do throws(UpstreamCaller.SideFailure) {
            let other = try await caller.sideCall(ticket.otherModel, body: ticket.otherBody, client: client, timeout: configuration.timeout,
                                                  reserve: configuration.reserveSlots, requestID: ticket.requestID,
                                                  onCost: { self.spent($0, on: self.series.shadowCost) })
            let (strongAnswer, weakAnswer) = ticket.answeringModel == strong ? (answer, other.content) : (other.content, answer)
            let first = try await verdict(judge, question: ticket.judgedQuestion, a: strongAnswer, b: weakAnswer, requestID: ticket.requestID)
            guard !Task.isCancelled else { return }
            let second = try await verdict(judge, question: ticket.judgedQuestion, a: weakAnswer, b: strongAnswer, requestID: ticket.requestID)
            guard let first, let second else {
                series.judgements["unparseable"]?.increment()
                logger.info("the judge's reply held no single verdict; no battle", ["request_id": .string(ticket.requestID), "judge": .string(judge.name)])
                return
            }
            let outcome = PairwiseJudge.outcome(strongFirst: first, strongSecond: second)
            series.judgements[outcome.rawValue]?.increment()
            let winner: BattleRecord.Winner = outcome == .strong ? .modelA : outcome == .weak ? .modelB : .tie
            let prompt = redactor.redact(ticket.question)
            guard !prompt.isEmpty else { return }
            battles?.submit(BattleRecord(id: UUID().uuidString.lowercased(), timeMs: ticket.timeMs, requestID: ticket.requestID,
                                         prompt: prompt, modelA: strong, modelB: weak, winner: winner, judge: judge.name,
                                         router: ticket.router, routerVersion: ticket.routerVersion, route: ticket.route, source: .shadow))
        } catch {
            series.judgements[error.label]?.increment()
            logger.debug("shadow job gave no battle", ["request_id": .string(ticket.requestID), "reason": .string("\(error)")])
        }
    }

    /// One judge call's verdict; nil when its reply holds none.
    private func verdict(_ judge: UpstreamConfiguration, question: String, a: String, b: String, requestID: String) async throws(UpstreamCaller.SideFailure) -> PairwiseJudge.Verdict? {
        let body = PairwiseJudge.requestBody(model: judge.upstreamModel, question: question, answerA: a, answerB: b, maxTokens: configuration.judgeMaxTokens)
        let reply = try await caller.sideCall(judge.name, body: body, client: client, timeout: configuration.timeout, reserve: configuration.reserveSlots,
                                              requestID: requestID + "-judge", onCost: { self.spent($0, on: self.series.judgeCost) })
        return PairwiseJudge.verdict(in: reply.content)
    }

    private func spent(_ dollars: Double, on counter: Counter) {
        counter.increment(by: dollars)
        spend.record(dollars)
        series.spend.set(spend.lastHour)
    }
}
