import BifrostIO
import Synchronization

/// One request on its way through a pool and a connection on one event loop.
///
/// Loop-confined except for the two doors to the async caller: the head continuation (resumed
/// once) and ``cancel()`` (callable from anywhere).
final class ClientExchange: @unchecked Sendable {
    let request: HTTPClientRequest
    let loop: EventLoop
    let startedAt: UInt64
    /// Response headers must arrive before this (monotonic ns).
    let headersDeadline: UInt64?
    /// The whole exchange must end before this.
    let totalDeadline: UInt64?
    /// Set once the request was re-sent on a fresh connection.
    var retried = false
    /// Who to tell when the caller cancels: the pool while queued, the connection once assigned.
    var cancelHandler: ((HTTPClientError) -> Void)?

    private let continuation = Mutex<UnsafeContinuation<HTTPClientResponse, any Error>?>(nil)
    private var stream: BodyStream?
    private(set) var isFinished = false

    init(request: consuming HTTPClientRequest, loop: EventLoop, now: UInt64) {
        headersDeadline = request.timeouts.responseHeaders.map { now &+ Nanoseconds.seconds($0) }
        totalDeadline = request.timeouts.total.map { now &+ Nanoseconds.seconds($0) }
        self.request = request  // moved in: the caller gives the request up
        self.loop = loop
        startedAt = now
    }

    var host: String { request.origin.authority }

    func setContinuation(_ continuation: UnsafeContinuation<HTTPClientResponse, any Error>) {
        self.continuation.withLock { $0 = continuation }
    }

    /// The head arrived: hand the response to the caller; returns the stream to feed the body into.
    func succeed(head: HTTPClientResponseHead) -> BodyStream {
        let stream = BodyStream(host: host)
        self.stream = stream
        takeContinuation()?.resume(returning: HTTPClientResponse(head: head, body: HTTPClientBody(handle: ConsumerHandle(stream: stream))))
        return stream
    }

    /// The head arrived with the whole body: hand both to the caller at once. The exchange still
    /// ends with ``finishBody()``.
    func succeed(head: HTTPClientResponseHead, completeBody body: [UInt8]) {
        takeContinuation()?.resume(returning: HTTPClientResponse(head: head, body: HTTPClientBody(complete: body, host: host)))
    }

    private func takeContinuation() -> UnsafeContinuation<HTTPClientResponse, any Error>? {
        continuation.withLock { value in
            defer { value = nil }
            return value
        }
    }

    /// The body is complete.
    func finishBody() {
        isFinished = true
        cancelHandler = nil
        stream?.finish()
    }

    /// Fails the exchange: the caller's `execute` throws, or (after the head) the body iteration throws.
    func fail(_ error: HTTPClientError) {
        guard !isFinished else { return }
        isFinished = true
        cancelHandler = nil
        if let pending = takeContinuation() {
            pending.resume(throwing: error)
        } else {
            stream?.finish(error)
        }
    }

    /// Cancels from any thread: a queued request leaves the queue, an active one closes its connection.
    func cancel(_ reason: String = "request cancelled") {
        let error = HTTPClientError(.cancelled, host: host, reason)
        loop.execute { [self] in
            guard !isFinished else { return }
            if let cancelHandler {
                cancelHandler(error)
            } else {
                fail(error)
            }
        }
    }
}
