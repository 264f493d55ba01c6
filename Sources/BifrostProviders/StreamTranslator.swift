import BifrostPluginKit

/// Turns the Server-Sent Events of one upstream stream into Bifrost chunks, for
/// ``UpstreamCall/relay(_:from:translator:started:context:)``. One translator per stream: it may
/// remember state between events (tool-call ids, usage so far).
protocol StreamTranslator: Sendable {
    /// What one upstream event is: a Server-Sent Event's data, or an AWS event-stream message.
    associatedtype Event = [UInt8]

    /// The chunk for one event, or nil when the event carries nothing for the client.
    /// Upstream error events are thrown as ``BifrostError``s.
    mutating func translate(_ event: Event) throws -> BifrostResponse?

    /// True once the upstream marked the end of the stream; the relay stops there.
    var isFinished: Bool { get }

    /// The end marker's name (`[DONE]`, `message_stop`), for the error when the body ends without it.
    var endMarker: String { get }
}

/// One stream event's JSON; anything unparsable is the provider's fault (502).
func parseStreamEvent(_ event: [UInt8], provider: String) throws(BifrostError) -> JSONValue {
    do {
        return try JSONParser.parse(event)
    } catch {
        throw BifrostError(message: "\(provider) sent an invalid stream event: \(error)", type: "invalid_response", statusCode: 502)
    }
}

/// Splits an upstream body into events, across any chunk boundaries.
protocol StreamFramer: Sendable {
    associatedtype Event
    /// The events completed by `bytes`; throws a ``BifrostError`` for a malformed stream.
    mutating func feed(_ bytes: [UInt8]) throws -> [Event]
}

/// Server-Sent Events: each event's `data`.
struct SSEFramer: StreamFramer {
    private var parser = ServerSentEventParser()

    mutating func feed(_ bytes: [UInt8]) -> [[UInt8]] { parser.feed(bytes) }
}

/// AWS event-stream framing (Bedrock): each message, checksums verified.
struct AWSEventStreamFramer: StreamFramer {
    let provider: String
    private var decoder = AWSEventStreamDecoder()

    init(provider: String) {
        self.provider = provider
    }

    mutating func feed(_ bytes: [UInt8]) throws -> [AWSEventMessage] {
        do {
            return try decoder.feed(bytes)
        } catch {
            throw BifrostError(message: "\(provider) sent a malformed event stream: \(error.description)", type: "invalid_response",
                               statusCode: 502)
        }
    }
}
