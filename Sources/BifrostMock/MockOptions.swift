/// How a ``MockProvider`` behaves when a request does not say otherwise.
///
/// Every timing here is a default: requests override them with the `x-mock-*` headers.
public struct MockOptions: Sendable, Equatable {
    /// Delay before every provider response, in milliseconds (`x-mock-latency-ms` overrides it).
    public var latencyMilliseconds: Int
    /// How long the `stall-headers` and `stall-stream` faults stall, in milliseconds (`x-mock-stall-ms`).
    public var stallMilliseconds: Int
    /// The pause between events of the `slow-drip` fault, in milliseconds (`x-mock-drip-ms`).
    public var dripMilliseconds: Int
    /// How long the `reset` fault waits after sending part of the body before resetting, in milliseconds.
    public var resetDelayMilliseconds: Int
    /// The assistant's answer to every chat, completion and message request. Streams send it word by word.
    public var replyText: String
    /// Length of the vector returned for each embedding input.
    public var embeddingDimensions: Int
    /// The model ids `GET /v1/models` lists.
    public var modelIDs: [String]
    /// The largest `x-mock-chunks` value accepted.
    public var maxChunks: Int

    /// Options with production-like defaults: no latency, 30 s stalls, 100 ms drip, 50 ms before a reset.
    public init(latencyMilliseconds: Int = 0,
                stallMilliseconds: Int = 30_000,
                dripMilliseconds: Int = 100,
                resetDelayMilliseconds: Int = 50,
                replyText: String = "Hello! This is a mock response from bifrost-mock.",
                embeddingDimensions: Int = 8,
                modelIDs: [String] = ["mock-gpt-4o", "mock-gpt-4o-mini", "mock-claude-sonnet", "mock-embedding"],
                maxChunks: Int = 10_000) {
        self.latencyMilliseconds = latencyMilliseconds
        self.stallMilliseconds = stallMilliseconds
        self.dripMilliseconds = dripMilliseconds
        self.resetDelayMilliseconds = resetDelayMilliseconds
        self.replyText = replyText
        self.embeddingDimensions = embeddingDimensions
        self.modelIDs = modelIDs
        self.maxChunks = maxChunks
    }
}
