import BifrostPluginKit

/// A provider adapter: translates a ``BifrostRequest`` into one upstream call with one key.
///
/// Errors thrown should be ``BifrostError``s carrying the upstream status (`statusCode`) and, for
/// 429/503, `retryAfter`; anything else is reported as a 500 gateway fault. Retries, key choice,
/// queueing and fallbacks are the engine's job, not the adapter's.
public protocol Provider: Sendable {
    /// The provider's lowercase name, e.g. `openai`.
    var name: String { get }

    /// One upstream call for a non-streaming request.
    func complete(_ request: BifrostRequest, key: ProviderKey, context: BifrostContext) async throws -> BifrostResponse

    /// One upstream call for a streaming request: throws before the first chunk when the call fails.
    func stream(_ request: BifrostRequest, key: ProviderKey, context: BifrostContext) async throws -> BifrostStream
}

extension Provider {
    public func stream(_ request: BifrostRequest, key: ProviderKey, context: BifrostContext) async throws -> BifrostStream {
        throw BifrostError(message: "provider \(name) does not support streaming", type: "unsupported_operation",
                           statusCode: 400, allowFallbacks: true)
    }
}

/// Builds the adapter for a configured provider (the providers module supplies one for each name it knows).
public typealias ProviderFactory = @Sendable (_ name: String, _ config: ProviderConfig) -> (any Provider)?
