import BifrostIO
import Synchronization

/// The way back to the client for one request. Safe to use from any thread.
///
/// Calls made on the connection's loop run immediately; calls from elsewhere are queued to that loop.
/// A response for a connection that has since closed is dropped.
public final class HTTPResponder: Sendable {
    private let loop: EventLoop
    private let connection: LoopBound<HTTPServerConnection>
    private let sequence: UInt64
    private let cancellation = Mutex<CancellationState>(CancellationState())

    private struct CancellationState {
        var cancelled = false
        /// The usual single handler, kept outside the array (no array allocated per request).
        var first: (@Sendable () -> Void)?
        var more: [@Sendable () -> Void] = []
    }

    /// The event loop that owns the connection: run the request's task on it
    /// (`Task(executorPreference: responder.eventLoop)`) and its upstream calls too, to avoid thread hops.
    public var eventLoop: EventLoop { loop }

    init(loop: EventLoop, connection: HTTPServerConnection, sequence: UInt64) {
        self.loop = loop
        self.connection = LoopBound(connection)
        self.sequence = sequence
    }

    /// Names the route that matched (a bounded label such as `/v1/chat/completions`), reported in
    /// ``HTTPExchangeRecord/route`` so that metrics need not match the path again.
    public func setRoute(_ label: String) {
        if loop.inEventLoop {  // the usual case: no closure to allocate
            connection.value.setRoute(label, sequence: sequence)
        } else {
            onLoop { connection, sequence in connection.setRoute(label, sequence: sequence) }
        }
    }

    /// Sends a complete response (the server adds `Content-Length`, `Date` and `Connection`).
    public func send(_ response: HTTPResponse) {
        if loop.inEventLoop {  // the usual case: no closure to allocate
            connection.value.sendResponse(response, sequence: sequence)
        } else {
            onLoop { connection, sequence in connection.sendResponse(response, sequence: sequence) }
        }
    }

    /// Sends the head of a streamed response and returns the writer for its body.
    /// The body is chunked for HTTP/1.1 clients and close-delimited for HTTP/1.0 clients.
    public func startStream(_ head: HTTPResponseHead) -> HTTPBodyWriter {
        onLoop { connection, sequence in connection.startStream(head, sequence: sequence) }
        return HTTPBodyWriter(responder: self)
    }

    /// Drops the connection abruptly (TCP reset), whatever was already sent. For fault injection
    /// and for responses that cannot be completed honestly.
    public func abort() {
        onLoop { connection, sequence in connection.abort(sequence: sequence) }
    }

    /// True once the client has gone away (or the server gave up on it) before the response finished.
    public var isCancelled: Bool { cancellation.withLock { $0.cancelled } }

    /// Runs `handler` (on the loop thread) when the client goes away before the response finished;
    /// runs it at once if that already happened. Use it to abort upstream work.
    public func onCancel(_ handler: @escaping @Sendable () -> Void) {
        let runNow = cancellation.withLock { state -> Bool in
            if state.cancelled { return true }
            if state.first == nil { state.first = handler } else { state.more.append(handler) }
            return false
        }
        if runNow { handler() }
    }

    func cancel() {
        let (first, more) = cancellation.withLock { state -> ((@Sendable () -> Void)?, [@Sendable () -> Void]) in
            guard !state.cancelled else { return (nil, []) }
            state.cancelled = true
            defer {
                state.first = nil
                state.more = []
            }
            return (state.first, state.more)
        }
        first?()
        for handler in more { handler() }
    }

    func writeBody(_ bytes: [UInt8], completion: @escaping @Sendable (Bool) -> Void) {
        onLoop { connection, sequence in connection.streamWrite(bytes, sequence: sequence, completion: completion) }
    }

    func finishBody() {
        onLoop { connection, sequence in connection.streamFinish(sequence: sequence) }
    }

    private func onLoop(_ body: @escaping @Sendable (HTTPServerConnection, UInt64) -> Void) {
        let connection = self.connection
        let sequence = self.sequence
        if loop.inEventLoop {
            body(connection.value, sequence)
        } else {
            loop.execute { body(connection.value, sequence) }
        }
    }
}

/// Writes the body of a streamed response with backpressure: ``write(_:)`` suspends while the
/// client's queue is above the server's high watermark, so a slow client slows its producer.
public struct HTTPBodyWriter: Sendable {
    let responder: HTTPResponder

    /// Queues `bytes` as the next piece of the body (one chunk when chunked); returns once the
    /// queue has room again. Throws ``HTTPServerError/clientGone`` when the client went away.
    public func write(_ bytes: [UInt8]) async throws {
        let accepted = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            responder.writeBody(bytes) { continuation.resume(returning: $0) }
        }
        if !accepted { throw HTTPServerError.clientGone }
    }

    /// Ends the body (the terminating chunk for chunked responses).
    public func finish() {
        responder.finishBody()
    }
}

/// Errors the server reports to handlers.
public enum HTTPServerError: Error, Sendable, Equatable {
    /// The client closed the connection (or was dropped) before the response was complete.
    case clientGone
}

