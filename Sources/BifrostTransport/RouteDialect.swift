import BifrostCore
import BifrostHTTP
import BifrostPluginKit

/// How one family of routes reads requests and writes answers: OpenAI's shape (the `/v1` and
/// `/openai/v1` routes) or Anthropic's (`/anthropic/v1/messages`). The engine in between is the same.
protocol RouteDialect: Sendable {
    associatedtype Events: StreamEventEncoder

    /// The request in the body, or a 400 naming the field.
    func decode(_ body: [UInt8]) throws(BifrostError) -> BifrostRequest
    /// A complete answer.
    func response(_ response: BifrostResponse) -> HTTPResponse
    /// A failure before anything was sent, with its status.
    func error(_ error: BifrostError) -> HTTPResponse
    /// Writes the events of one streamed answer.
    func events(for request: BifrostRequest) -> Events
}

/// Server-Sent Events for one streamed answer, in a dialect's event format.
protocol StreamEventEncoder: Sendable {
    /// The events for one chunk (possibly none).
    mutating func chunk(_ chunk: BifrostResponse) -> [UInt8]
    /// The events that end a stream that completed.
    mutating func end() -> [UInt8]
    /// The events that report a failure midway (the stream then closes without a clean end).
    mutating func failure(_ error: BifrostError) -> [UInt8]
}

/// OpenAI's shape: `chat.completion` JSON, `data: {chunk}` events ending in `data: [DONE]`, and
/// Bifrost's error body (which OpenAI SDKs read as an API error).
struct OpenAIDialect: RouteDialect {
    let kind: RequestKind
    /// The provider for a model without a `provider/` prefix (the `/openai` drop-in routes).
    let defaultProvider: String?
    /// Configured providers: on a drop-in route a prefix that is not one of them is part of the
    /// model name (`meta-llama/Llama-3-70b` on the default provider).
    let knownProviders: Set<String>

    func decode(_ body: [UInt8]) throws(BifrostError) -> BifrostRequest {
        do throws(RequestValidationError) {
            return try CompletionRequestDecoder.decode(body, kind: kind, defaultProvider: defaultProvider,
                                                       knownProviders: knownProviders)
        } catch {
            throw error.bifrostError
        }
    }

    func response(_ response: BifrostResponse) -> HTTPResponse { ResponseEncoding.json(response) }

    func error(_ error: BifrostError) -> HTTPResponse { ResponseEncoding.error(error) }

    func events(for request: BifrostRequest) -> OpenAIEvents { OpenAIEvents() }
}

/// `data: {chunk}` per chunk, `data: [DONE]` at the end, `data: {error}` on failure.
struct OpenAIEvents: StreamEventEncoder {
    mutating func chunk(_ chunk: BifrostResponse) -> [UInt8] { ResponseEncoding.event(chunk) }
    mutating func end() -> [UInt8] { ResponseEncoding.done }
    mutating func failure(_ error: BifrostError) -> [UInt8] { ResponseEncoding.errorEvent(error) }
}
