import Synchronization

/// A response body as it arrives, chunk by chunk, with backpressure: when the consumer falls more
/// than a high watermark behind, the connection stops reading until it catches up.
///
/// Single consumer. Abandoning the body (dropping every reference to it before the end) cancels the
/// exchange so the connection is closed, never reused half-read.
public struct HTTPClientBody: AsyncSequence, Sendable {
    public typealias Element = [UInt8]

    /// Where the bytes come from: the connection, as they arrive, or (when the whole body came with
    /// the head, as a small JSON answer does) all of it at once, with no stream in between.
    enum Source: Sendable {
        case stream(ConsumerHandle)
        case complete([UInt8], host: String)
    }

    let source: Source

    init(handle: ConsumerHandle) { source = .stream(handle) }

    init(complete bytes: [UInt8], host: String) { source = .complete(bytes, host: host) }

    public func makeAsyncIterator() -> Iterator { Iterator(source: source) }

    public struct Iterator: AsyncIteratorProtocol {
        /// Nil once a complete body has been handed out.
        var source: Source?

        public mutating func next() async throws -> [UInt8]? { try await next(isolation: nil) }

        /// `for try await` calls this one: it runs on the caller's executor, without the hop that the
        /// plain `next()` requirement makes.
        public mutating func next(isolation actor: isolated (any Actor)?) async throws -> [UInt8]? {
            switch source {
            case .stream(let handle):
                return try await handle.stream.next()
            case .complete(let bytes, _):
                source = nil
                return bytes.isEmpty ? nil : bytes
            case nil:
                return nil
            }
        }
    }

    /// Reads the whole body, failing with a ``HTTPClientError`` past `maxBytes`.
    public func collect(maxBytes: Int = 64 * 1024 * 1024) async throws -> [UInt8] {
        let handle: ConsumerHandle
        switch source {
        case .complete(let bytes, let host):
            if bytes.count > maxBytes { throw Self.tooLarge(maxBytes, host: host) }
            return bytes
        case .stream(let streamHandle):
            handle = streamHandle
        }
        var result: [UInt8] = []
        while let chunk = try await handle.stream.next() {
            // A small body usually arrives as one chunk: keep it rather than copy it.
            if result.isEmpty { result = chunk } else { result.append(contentsOf: chunk) }
            if result.count > maxBytes {
                handle.stream.cancelFromConsumer()
                throw Self.tooLarge(maxBytes, host: handle.stream.host)
            }
        }
        return result
    }

    private static func tooLarge(_ maxBytes: Int, host: String) -> HTTPClientError {
        HTTPClientError(.protocol, host: host, "response body exceeds \(maxBytes) bytes")
    }
}

/// Held only by the consumer side; its end means nobody will read the rest of the body.
final class ConsumerHandle: Sendable {
    let stream: BodyStream
    init(stream: BodyStream) { self.stream = stream }
    deinit { stream.cancelFromConsumer() }
}

/// The buffer between a connection (producer, on its loop) and the body's consumer (any task).
final class BodyStream: Sendable {
    let host: String
    private let highWatermark: Int
    private let lowWatermark: Int
    private let state = Mutex<State>(State())

    private struct State {
        var chunks: [[UInt8]] = []
        var head = 0
        var bufferedBytes = 0
        var ended = false
        var failure: HTTPClientError?
        var waiter: UnsafeContinuation<[UInt8]?, any Error>?
        /// Called (once) when the consumer drained below the low watermark after a pause.
        var onDrain: (@Sendable () -> Void)?
        var onCancel: (@Sendable () -> Void)?
        var cancelled = false
    }

    init(host: String, highWatermark: Int = 256 * 1024, lowWatermark: Int = 64 * 1024) {
        self.host = host
        self.highWatermark = highWatermark
        self.lowWatermark = lowWatermark
    }

    // MARK: Producer (the connection's loop)

    /// Adds a chunk; returns false when the producer should pause until the handler from `makeDrainHandler`
    /// runs (it is asked for only then).
    func push(_ chunk: [UInt8], makeDrainHandler: () -> @Sendable () -> Void) -> Bool {
        guard !chunk.isEmpty else { return true }
        let (waiter, belowWatermark) = state.withLock { state -> (UnsafeContinuation<[UInt8]?, any Error>?, Bool) in
            guard !state.cancelled else { return (nil, true) }
            if let waiter = state.waiter {
                state.waiter = nil
                return (waiter, true)
            }
            state.chunks.append(chunk)
            state.bufferedBytes += chunk.count
            if state.bufferedBytes > highWatermark {
                state.onDrain = makeDrainHandler()
                return (nil, false)
            }
            return (nil, true)
        }
        waiter?.resume(returning: chunk)
        return belowWatermark
    }

    /// Ends the body, successfully or not.
    func finish(_ failure: HTTPClientError? = nil) {
        let waiter = state.withLock { state -> UnsafeContinuation<[UInt8]?, any Error>? in
            guard !state.ended else { return nil }
            state.ended = true
            state.failure = failure
            defer { state.waiter = nil }
            return state.waiter
        }
        if let failure { waiter?.resume(throwing: failure) } else { waiter?.resume(returning: nil) }
    }

    /// Registers what to do when the consumer abandons the body.
    func setCancelHandler(_ handler: @escaping @Sendable () -> Void) {
        let runNow = state.withLock { state -> Bool in
            if state.cancelled { return true }
            state.onCancel = handler
            return false
        }
        if runNow { handler() }
    }

    // MARK: Consumer

    /// The next chunk, nil at the end. Returns without suspending when a chunk (or the end) is
    /// already there: a small JSON body usually arrives with its head, so reading it costs no task
    /// switches.
    func next() async throws -> [UInt8]? {
        let (ready, drained) = state.withLock { take(from: &$0) }
        drained?()
        if let ready { return try ready.get() }
        return try await withUnsafeThrowingContinuation { continuation in
            let (result, drained) = state.withLock { state -> (Result<[UInt8]?, HTTPClientError>?, (@Sendable () -> Void)?) in
                let taken = take(from: &state)  // the producer may have pushed since the first look
                if taken.result != nil { return taken }
                state.waiter = continuation
                let drained = state.onDrain
                state.onDrain = nil
                return (nil, drained)
            }
            drained?()
            if let result { continuation.resume(with: result) }
        }
    }

    /// Takes the next buffered chunk or the end; nil when the consumer has to wait. Also hands back
    /// the producer's resume callback once the buffer drained below the low watermark.
    private func take(from state: inout State) -> (result: Result<[UInt8]?, HTTPClientError>?, drained: (@Sendable () -> Void)?) {
        if state.head < state.chunks.count {
            let chunk = state.chunks[state.head]
            state.head += 1
            state.bufferedBytes -= chunk.count
            if state.head == state.chunks.count {
                state.chunks.removeAll(keepingCapacity: true)
                state.head = 0
            }
            var drained: (@Sendable () -> Void)?
            if state.bufferedBytes <= lowWatermark, let onDrain = state.onDrain {
                state.onDrain = nil
                drained = onDrain
            }
            return (.success(chunk), drained)
        }
        if state.ended {
            if let failure = state.failure { return (.failure(failure), nil) }
            return (.success(nil), nil)
        }
        return (nil, nil)
    }

    func cancelFromConsumer() {
        let handler = state.withLock { state -> (@Sendable () -> Void)? in
            guard !state.ended, !state.cancelled else { return nil }
            state.cancelled = true
            state.chunks = []
            state.bufferedBytes = 0
            return state.onCancel
        }
        handler?()
    }
}

/// An upstream response: head now, body as it arrives.
public struct HTTPClientResponse: Sendable {
    public let head: HTTPClientResponseHead
    public let body: HTTPClientBody

    public var status: HTTPStatus { head.status }
    public var headers: HTTPHeaders { head.headers }
}
