import BifrostHTTP

/// One answer, ready to send: status, headers and the body as the pieces it is written in.
struct MockReply: Sendable {
    var status: HTTPStatus
    var headers: HTTPHeaders
    /// The body in write order: SSE events, or one JSON body (possibly split by a fault or `x-mock-chunks`).
    var pieces: [[UInt8]]
    /// Sent with ``HTTPResponder/startStream(_:)`` (chunked) instead of one response with `Content-Length`.
    var streamed: Bool
    /// The pieces are Server-Sent Events.
    var isEventStream: Bool
    /// With no pause planned between pieces, write them as one chunk. False once a body is split on purpose.
    var coalesces = true

    static let eventStreamHeaders = HTTPHeaders([("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")])
    static let awsEventStreamHeaders = HTTPHeaders([("Content-Type", "application/vnd.amazon.eventstream")])

    /// A complete (non-streamed) response.
    init(status: HTTPStatus, headers: HTTPHeaders, body: [UInt8]) {
        self.status = status
        self.headers = headers
        pieces = [body]
        streamed = false
        isEventStream = false
    }

    /// A `200` event stream.
    init(events: [[UInt8]]) {
        status = .ok
        headers = Self.eventStreamHeaders
        pieces = events
        streamed = true
        isEventStream = true
    }

    /// The whole body.
    var body: [UInt8] { pieces.count == 1 ? pieces[0] : Array(pieces.joined()) }

    /// Streams the body in (up to) `count` pieces of nearly equal size, each its own chunk.
    /// Event streams keep their event boundaries instead.
    mutating func split(into count: Int) {
        streamed = true
        coalesces = false
        guard !isEventStream else { return }
        let whole = body
        guard count > 1, whole.count > 1 else {
            pieces = [whole]
            return
        }
        let parts = min(count, whole.count)
        let size = (whole.count + parts - 1) / parts
        pieces = stride(from: 0, to: whole.count, by: size).map { Array(whole[$0..<min($0 + size, whole.count)]) }
    }

    /// Breaks the JSON: a body is cut in half; in an event stream the first event's JSON is cut in half
    /// (its framing kept, so the client reads a complete event whose data does not parse).
    mutating func truncateJSON() {
        if isEventStream {
            guard var first = pieces.first, let open = first.firstIndex(of: UInt8(ascii: "{")) else { return }
            let end = first.count - 2 // the blank line
            first = Array(first[..<(open + (end - open) / 2)])
            first.appendLiteral("\n\n")
            pieces[0] = first
        } else {
            let whole = body
            pieces = [Array(whole[..<(whole.count / 2)])]
        }
    }

    /// Compresses the body (each piece ends on a sync flush, so a streamed piece can be decoded on arrival).
    mutating func compress(_ format: CompressionFormat) {
        pieces = Compressor.compress(pieces, format: format)
        headers.add(name: "Content-Encoding", value: format.contentEncoding)
    }
}
