import TurnoutEmbedding

/// The native model is the local backend's encoder as it is.
extension MiniLM: SentenceEncoder {}
