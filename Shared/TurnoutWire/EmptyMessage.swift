/// An empty body, for methods that take or return nothing.
public struct EmptyMessage: Codable, Sendable, Equatable {
    public init() {}
}
