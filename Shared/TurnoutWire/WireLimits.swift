/// Limits every peer shares, servers and clients alike.
public enum WireLimits {
    /// 4 MiB: room for a batch of embeddings, small enough to bound per-connection memory.
    public static let maxFrameSize = 4 << 20
}
