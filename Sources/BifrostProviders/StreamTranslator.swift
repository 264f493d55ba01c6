import BifrostPluginKit

/// Turns the Server-Sent Events of one upstream stream into Bifrost chunks, for
/// ``UpstreamCall/relay(_:from:translator:started:context:)``. One translator per stream: it may
/// remember state between events (tool-call ids, usage so far).
protocol StreamTranslator: Sendable {
    /// The chunk for one event's data, or nil when the event carries nothing for the client.
    /// Upstream error events are thrown as ``BifrostError``s.
    mutating func translate(_ event: [UInt8]) throws -> BifrostResponse?

    /// True once the upstream marked the end of the stream; the relay stops there.
    var isFinished: Bool { get }

    /// The end marker's name (`[DONE]`, `message_stop`), for the error when the body ends without it.
    var endMarker: String { get }
}
