import BifrostIO
import Glibc
import Logging

/// One client connection, confined to its event loop.
///
/// Requests are read and answered strictly in order: while a request is being handled, later
/// (pipelined) bytes are kept but not parsed, and reading stops once they pass a bound. Writes are
/// queued and flushed with `writev`; the socket is registered once, edge-triggered, for both directions.
final class HTTPServerConnection: IOEventHandler, TimerTarget, FlushTarget {
    private enum Phase {
        /// Waiting for (the rest of) a request head.
        case awaitingHead
        /// Reading the body of `head`.
        case readingBody(HTTPRequestHead, BodyReader)
        /// The handler owns the request; no response bytes sent yet.
        case handling(HTTPRequestHead)
        /// A streamed response is in progress.
        case streaming(Stream)
        /// The last response is out (or being flushed); reading only to discard until the client closes.
        case closing
        case closed
    }

    private struct Stream {
        let chunked: Bool
        let keepAlive: Bool
        let suppressBody: Bool
    }

    private enum TimeoutKind { case idle, header, body, write, linger }

    let fd: Int32
    private let channel: SocketChannel
    private let context: ServerLoopContext
    private var registration: Registration?
    private var phase = Phase.awaitingHead
    private var parser: HTTPRequestHeadParser
    private var inbound: [UInt8] = []
    private var outbound = OutboundQueue()
    private var deadline = DeadlineSlot()
    private var timeoutKind = TimeoutKind.header
    private var sequence: UInt64 = 0
    private var responder: HTTPResponder?
    private var pendingWrite: (@Sendable (Bool) -> Void)?
    /// Set while `ingest` runs, so responses sent synchronously by the handler are flushed once at the end.
    private var ingesting = false
    /// Reading paused because pipelined bytes reached their bound while a request is being handled.
    private var readPaused = false
    /// Socket reported not writable; wait for EPOLLOUT.
    private var writeBlocked = false
    var flushQueued = false
    /// Close once the queued bytes are written (after the last response).
    private var closeAfterFlush = false
    private var halfClosed = false
    private var discardedBytes = 0
    private var draining = false

    // Exchange bookkeeping for the observer; untouched when the server has none.
    /// When the current request's first byte was processed (MonotonicClock), 0 before that.
    private var exchangeStart: UInt64 = 0
    private var requestBytes = 0
    private var responseBytes = 0
    /// The request and status of the streamed response in progress.
    private var streamHead: HTTPRequestHead?
    private var streamStatus = 0
    /// The route the handler matched for the current exchange (reported to the observer).
    private var routeLabel: String?

    init(fd: Int32, channel: SocketChannel, context: ServerLoopContext) {
        self.fd = fd
        self.channel = channel
        self.context = context
        parser = HTTPRequestHeadParser(limits: context.configuration.parserLimits)
    }

    // MARK: Lifecycle

    func start() throws {
        registration = try context.loop.register(fd, events: [.readable, .writable, .readHangup, .edgeTriggered], handler: self)
        setTimeout(.header, after: context.configuration.headerReadTimeout)
    }

    /// Graceful shutdown: close now if idle, otherwise close after the current response.
    func drain() {
        draining = true
        if case .awaitingHead = phase, inbound.isEmpty, outbound.isEmpty { close() }
    }

    /// Closes the socket, cancelling an unfinished response. Idempotent.
    func close() {
        if case .closed = phase { return }
        if context.hasObserver, case .streaming = phase {
            report(head: streamHead, status: streamStatus, completed: false)
        }
        phase = .closed
        if let registration { context.loop.deregister(registration) }
        registration = nil
        closeDescriptor(fd)
        outbound.removeAll()
        inbound = []
        deadline.set(nil, target: self, loop: context.loop)
        let gone = responder
        responder = nil
        let waiter = pendingWrite
        pendingWrite = nil
        context.connectionClosed(self)
        waiter?(false)
        gone?.cancel()
    }

    private var isClosed: Bool {
        if case .closed = phase { return true }
        return false
    }

    // MARK: Events

    func handleEvents(_ events: IOEvents) {
        // TLS may need the opposite readiness (a write waiting for a read, or the reverse).
        if !events.isDisjoint(with: [.writable, .error, .hangup])
            || (channel.writeWaitsForReadable && events.contains(.readable)) {
            writeBlocked = false
            flush()
        }
        if !events.isDisjoint(with: [.readable, .readHangup, .error, .hangup])
            || (channel.readWaitsForWritable && events.contains(.writable)), !isClosed {
            readAvailable()
        }
    }

    func timerFired(deadline queued: UInt64, now: UInt64) {
        guard !isClosed, deadline.fire(queuedDeadline: queued, now: now, target: self, loop: context.loop) else { return }
        switch timeoutKind {
        case .idle, .linger, .write:
            close()
        case .header:
            if inbound.isEmpty && sequence == 0 && !draining {
                // Connected but never sent a byte: nothing to answer.
                close()
            } else {
                fail(HTTPRequestError(.requestTimeout, code: "header_timeout", "request headers were not received in time"))
            }
        case .body:
            fail(HTTPRequestError(.requestTimeout, code: "body_timeout", "request body was not received in time"))
        }
    }

    private func setTimeout(_ kind: TimeoutKind, after seconds: Double) {
        timeoutKind = kind
        deadline.set(context.loop.now &+ Nanoseconds.seconds(seconds), target: self, loop: context.loop)
    }

    // MARK: Reading

    private func readAvailable() {
        guard !isClosed && !readPaused else { return }
        switch channel.readAll(into: context.readBuffer, { bytes in
            ingest(bytes)
            return !isClosed && !readPaused
        }) {
        case .drained:
            break
        case .peerClosed:
            peerClosed()
        case .failed(let error):
            if channel.tls != nil {
                context.logger.debug("TLS connection failed", metadata: ["error": "\(error)"])
            }
            close()
        }
    }

    private func peerClosed() {
        switch phase {
        case .closing, .awaitingHead:
            close()
        case .readingBody, .handling, .streaming:
            // The client went away mid-request: abort (cancels the handler's work).
            close()
        case .closed:
            break
        }
    }

    /// Processes newly read bytes (appended after any kept from earlier reads), then flushes.
    private func ingest(_ bytes: UnsafeRawBufferPointer) {
        if case .closing = phase {
            discardedBytes += bytes.count
            if discardedBytes > 1 << 20 { close() }
            return
        }
        ingesting = true
        if inbound.isEmpty {
            let consumed = process(bytes)
            if consumed < bytes.count, !isClosed {
                inbound.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[consumed...]))
            }
        } else {
            inbound.append(contentsOf: bytes)
            processInbound()
        }
        ingesting = false
        afterInput()
        flush()
    }

    private func processInbound() {
        guard !inbound.isEmpty else { return }
        let consumed = inbound.withUnsafeBytes { process($0) }
        if isClosed { return }
        if consumed == inbound.count {
            inbound.removeAll(keepingCapacity: inbound.capacity <= 4096)
        } else if consumed > 0 {
            inbound.removeFirst(consumed)
        }
    }

    /// Runs the request state machine over `bytes`; returns how many were consumed.
    private func process(_ bytes: UnsafeRawBufferPointer) -> Int {
        var offset = 0
        while offset < bytes.count {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
            switch phase {
            case .awaitingHead:
                if timeoutKind == .idle {
                    // The first byte of the next request: the header timer replaces the idle timer.
                    setTimeout(.header, after: context.configuration.headerReadTimeout)
                }
                if context.hasObserver && exchangeStart == 0 { exchangeStart = MonotonicClock.now() }
                switch parser.parse(rest) {
                case .incomplete:
                    return offset
                case .invalid(let error):
                    requestBytes &+= rest.count
                    fail(error)
                    return bytes.count
                case .complete(let head, let consumed):
                    parser.reset()
                    offset += consumed
                    requestBytes &+= consumed
                    beginBody(head, bodyBytesWaiting: offset < bytes.count)
                }
            case .readingBody(let head, var reader):
                phase = .awaitingHead // drop `phase`'s reference so the body grows without copying
                do {
                    let result = try reader.consume(rest, maxBodyBytes: context.configuration.maxBodyBytes)
                    offset += result.consumed
                    requestBytes &+= result.consumed
                    if result.done {
                        dispatch(HTTPRequest(head: head, body: reader.body))
                    } else {
                        phase = .readingBody(head, reader)
                    }
                } catch let error as HTTPRequestError {
                    requestBytes &+= rest.count
                    fail(error, head: head)
                    return bytes.count
                } catch {
                    requestBytes &+= rest.count
                    fail(.malformed("\(error)"), head: head)
                    return bytes.count
                }
            case .handling, .streaming, .closing, .closed:
                return offset
            }
        }
        return offset
    }

    /// After a batch of input: bound the bytes kept while a request is handled.
    private func afterInput() {
        switch phase {
        case .handling, .streaming:
            if inbound.count >= context.configuration.parserLimits.maxHeadBytes { readPaused = true }
        default:
            break
        }
    }

    private func beginBody(_ head: HTTPRequestHead, bodyBytesWaiting: Bool) {
        let limit = context.configuration.maxBodyBytes
        switch head.framing {
        case .none:
            dispatch(HTTPRequest(head: head, body: []))
            return
        case .contentLength(let length):
            guard length <= limit else {
                fail(ChunkedBodyDecoder.bodyTooLarge(limit), head: head)
                return
            }
            phase = .readingBody(head, BodyReader(contentLength: length))
        case .chunked:
            phase = .readingBody(head, BodyReader(chunked: ChunkedBodyDecoder()))
        }
        if head.expectsContinue && !bodyBytesWaiting {
            outbound.append(HTTPResponseEncoder.continueResponse)
        }
        setTimeout(.body, after: context.configuration.bodyReadTimeout)
    }

    private func dispatch(_ request: HTTPRequest) {
        routeLabel = nil
        phase = .handling(request.head)
        sequence &+= 1
        deadline.set(nil, target: self, loop: context.loop)
        let responder = HTTPResponder(loop: context.loop, connection: self, sequence: sequence)
        self.responder = responder
        context.handler.handle(request, responder: responder)
    }

    // MARK: Responding

    func setRoute(_ label: String, sequence: UInt64) {
        if sequence == self.sequence { routeLabel = label }
    }

    func sendResponse(_ response: HTTPResponse, sequence: UInt64) {
        guard sequence == self.sequence, case .handling(let head) = phase else { return }
        let keepAlive = shouldKeepAlive(head, response.headers)
        let sendsBody = !head.isHead && !response.status.forbidsBody
        var writer = ByteWriter(capacity: 256 + (response.body.count <= 4096 ? response.body.count : 0))
        HTTPResponseEncoder.writeHead(
            status: response.status, headers: response.headers,
            contentLength: response.status.forbidsBody ? nil : response.body.count, chunked: false,
            keepAlive: keepAlive, requestMinorVersion: head.minorVersion, date: context.date(), into: &writer)
        let bodySeparate = sendsBody && response.body.count > 4096
        // A small body goes through the writer and is copied twice: cheaper than building the
        // array from two pieces (`Array(unsafeUninitializedCapacity:)` was not specialised here and
        // looked up generic metadata at run time, about 1k instructions).
        if sendsBody && !bodySeparate { response.body.withUnsafeBufferPointer { writer.append($0) } }
        let buffer = writer.bytes
        outbound.append(buffer)
        if bodySeparate { outbound.append(response.body) }
        if context.hasObserver {
            responseBytes = buffer.count &+ (bodySeparate ? response.body.count : 0)
            report(head: head, status: response.status.code)
        }
        context.requestCompleted(head: head, status: response.status)
        finishExchange(keepAlive: keepAlive)
    }

    func startStream(_ responseHead: HTTPResponseHead, sequence: UInt64) {
        guard sequence == self.sequence, case .handling(let head) = phase else { return }
        let chunked = head.minorVersion >= 1 && !responseHead.status.forbidsBody && !head.isHead
        let keepAlive = shouldKeepAlive(head, responseHead.headers) && (chunked || head.isHead || responseHead.status.forbidsBody)
        var writer = ByteWriter()
        HTTPResponseEncoder.writeHead(
            status: responseHead.status, headers: responseHead.headers, contentLength: nil, chunked: chunked,
            keepAlive: keepAlive, requestMinorVersion: head.minorVersion, date: context.date(), into: &writer)
        let buffer = writer.bytes
        outbound.append(buffer)
        phase = .streaming(Stream(chunked: chunked, keepAlive: keepAlive,
                                  suppressBody: head.isHead || responseHead.status.forbidsBody))
        if context.hasObserver {
            responseBytes = buffer.count
            streamHead = head
            streamStatus = responseHead.status.code
        }
        context.requestCompleted(head: head, status: responseHead.status)
        flushUnlessIngesting()
    }

    func streamWrite(_ bytes: [UInt8], sequence: UInt64, completion: @escaping @Sendable (Bool) -> Void) {
        guard sequence == self.sequence, case .streaming(let stream) = phase else {
            completion(false)
            return
        }
        if !stream.suppressBody && !bytes.isEmpty {
            if stream.chunked {
                let prefix = HTTPResponseEncoder.chunkPrefix(bytes.count)
                outbound.append(prefix)
                outbound.append(bytes)
                outbound.append(HTTPResponseEncoder.crlf)
                responseBytes &+= prefix.count &+ bytes.count &+ HTTPResponseEncoder.crlf.count
            } else {
                outbound.append(bytes)
                responseBytes &+= bytes.count
            }
        }
        flushUnlessIngesting()
        if isClosed {
            completion(false)
        } else if outbound.bufferedBytes <= context.configuration.writeHighWatermark {
            completion(true)
        } else {
            pendingWrite = completion
        }
    }

    func streamFinish(sequence: UInt64) {
        guard sequence == self.sequence, case .streaming(let stream) = phase else { return }
        if stream.chunked && !stream.suppressBody {
            outbound.append(HTTPResponseEncoder.lastChunk)
            responseBytes &+= HTTPResponseEncoder.lastChunk.count
        }
        if context.hasObserver { report(head: streamHead, status: streamStatus) }
        finishExchange(keepAlive: stream.keepAlive)
    }

    func abort(sequence: UInt64) {
        guard sequence == self.sequence, !isClosed else { return }
        // Whatever is still queued is lost on purpose: an abort is a reset.
        _ = try? outbound.flush(to: channel)
        Socket.setResetOnClose(fd)
        close()
    }

    private func shouldKeepAlive(_ head: HTTPRequestHead, _ headers: HTTPHeaders) -> Bool {
        head.keepAlive && !draining && !context.draining && !headers.containsToken("close", in: "connection")
    }

    /// The response is fully queued: continue with the next request, or close once flushed.
    private func finishExchange(keepAlive: Bool) {
        responder = nil
        if keepAlive {
            phase = .awaitingHead
            setTimeout(.idle, after: context.configuration.idleTimeout)
            if !ingesting {
                // Answered from another thread: parse what was pipelined meanwhile and resume reading.
                ingesting = true
                processInbound()
                ingesting = false
                afterInput()
                if readPaused, case .awaitingHead = phase {
                    readPaused = false
                    context.loop.deferTask { [self] in if !isClosed { readAvailable() } }
                }
            } else {
                readPaused = false
            }
        } else {
            phase = .closing
            closeAfterFlush = true
            inbound = []
        }
        flushUnlessIngesting()
    }

    /// Answers a request the server could not read with a JSON error and closes the connection.
    /// `head` is the request's head when it was read (for the observer).
    private func fail(_ error: HTTPRequestError, head: HTTPRequestHead? = nil) {
        var head = head
        switch phase {
        case .handling, .streaming, .closing, .closed: return
        case .awaitingHead: break
        case .readingBody(let reading, _): head = head ?? reading
        }
        context.logger.debug("rejected request", metadata: ["status": "\(error.status.code)", "reason": "\(error.message)"])
        var writer = ByteWriter()
        let body = HTTPResponse.errorBody(status: error.status, type: error.code, message: error.message)
        HTTPResponseEncoder.writeHead(
            status: error.status, headers: HTTPHeaders([("Content-Type", "application/json")]),
            contentLength: body.utf8.count, chunked: false, keepAlive: false, requestMinorVersion: 1,
            date: context.date(), into: &writer)
        writer.append(body)
        let buffer = writer.bytes
        outbound.append(buffer)
        if context.hasObserver {
            // A head that timed out is still waiting in `inbound`, uncounted.
            if requestBytes == 0 { requestBytes = inbound.count }
            responseBytes = buffer.count
            report(head: head, status: error.status.code)
        }
        context.requestRejected(error)
        phase = .closing
        closeAfterFlush = true
        inbound = []
        flushUnlessIngesting()
    }

    /// Tells the observer about the exchange that just ended and resets the bookkeeping for the next one.
    private func report(head: HTTPRequestHead?, status: Int, completed: Bool = true) {
        guard let observer = context.observer else { return }
        let now = MonotonicClock.now()
        let elapsed = exchangeStart == 0 || exchangeStart > now ? 0 : now - exchangeStart
        let record = HTTPExchangeRecord(
            method: head?.method ?? "", target: head?.target ?? "", headers: head?.headers ?? HTTPHeaders(),
            status: status, requestBytes: requestBytes, responseBytes: responseBytes,
            durationNanoseconds: Int64(truncatingIfNeeded: elapsed), completed: completed, route: head == nil ? nil : routeLabel)
        exchangeStart = 0
        requestBytes = 0
        responseBytes = 0
        streamHead = nil
        streamStatus = 0
        observer.exchangeCompleted(record)
    }

    // MARK: Writing

    /// Writes what is queued now when the loop is lightly loaded (the client waits for nothing else:
    /// the request's logging and clean-up can follow the write), at the end of the iteration otherwise.
    private func flushUnlessIngesting() {
        guard !ingesting else { return }
        if context.loop.isLightlyLoaded { flush() } else { context.loop.deferFlush(self) }
    }

    func flushDeferred() {
        flush()
    }

    private func flush() {
        if isClosed || writeBlocked { return }
        if !outbound.isEmpty {
            do {
                switch try outbound.flush(to: channel) {
                case .drained:
                    break
                case .wouldBlock:
                    writeBlocked = true
                    if timeoutKind != .write { setTimeout(.write, after: context.configuration.writeTimeout) }
                    return
                }
            } catch {
                close()
                return
            }
        }
        afterDrain()
    }

    private func afterDrain() {
        if timeoutKind == .write {
            // Writes made progress again: back to the timer of the current phase.
            switch phase {
            case .awaitingHead: setTimeout(.idle, after: context.configuration.idleTimeout)
            default: deadline.set(nil, target: self, loop: context.loop)
            }
        }
        if let waiter = pendingWrite, outbound.bufferedBytes <= context.configuration.writeLowWatermark {
            pendingWrite = nil
            waiter(true)
        }
        if closeAfterFlush && !halfClosed {
            // Lingering close: send FIN, then read and discard until the client closes, so the
            // response is not destroyed by a reset for unread request bytes.
            halfClosed = true
            channel.shutdownWrite()
            setTimeout(.linger, after: context.configuration.lingerTimeout)
            if inbound.isEmpty { readAvailable() }
        }
    }
}
