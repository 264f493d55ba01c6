import BifrostIO
import BifrostTLS
import Glibc
import Logging

/// The server's state on one event loop: its listening socket, its connections, a shared read
/// buffer and the cached `Date` header. Touched only on that loop's thread.
final class ServerLoopContext: IOEventHandler {
    let loop: EventLoop
    let configuration: HTTPServerConfiguration
    let handler: any HTTPHandler
    let logger: Logger
    let tls: TLSContext?
    /// Told about finished exchanges; nil when nobody listens (then connections skip the bookkeeping).
    let observer: (any HTTPExchangeObserver)?
    /// `observer != nil`, kept apart: testing the existential itself copies it (a retain and release).
    let hasObserver: Bool
    private let shared: HTTPServerState

    /// One read buffer per loop: idle connections hold no read memory of their own.
    let readBuffer: UnsafeMutableRawBufferPointer
    private var dateCache = HTTPDateCache()
    private var listenerFD: Int32 = -1
    private var listener: Registration?
    private var connections: [Int32: HTTPServerConnection] = [:]
    private(set) var draining = false

    private static let rejectResponse: [UInt8] = {
        let body = HTTPResponse.errorBody(status: .serviceUnavailable, type: "too_many_connections",
                                          message: "the server is at its connection limit; retry later")
        return Array(("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n"
            + "Connection: close\r\nRetry-After: 1\r\n\r\n" + body).utf8)
    }()

    init(loop: EventLoop, configuration: HTTPServerConfiguration, handler: any HTTPHandler, tls: TLSContext?,
         logger: Logger, shared: HTTPServerState, observer: (any HTTPExchangeObserver)? = nil) {
        self.loop = loop
        self.observer = observer
        hasObserver = observer != nil
        self.tls = tls
        self.configuration = configuration
        self.handler = handler
        self.logger = logger
        self.shared = shared
        readBuffer = .allocate(byteCount: 64 * 1024, alignment: 16)
    }

    deinit {
        readBuffer.deallocate()
    }

    func date() -> [UInt8] { dateCache.current() }

    // MARK: Listening

    func startListening(fd: Int32) throws {
        listenerFD = fd
        listener = try loop.register(fd, events: .readable, handler: self)
    }

    func handleEvents(_ events: IOEvents) {
        acceptConnections()
    }

    private func acceptConnections() {
        // Bounded per wake-up so one loop does not starve its existing connections under a connect flood.
        for _ in 0..<128 {
            guard listener != nil else { return }
            let fd: Int32
            do {
                switch try Socket.accept(listenerFD) {
                case .wouldBlock: return
                case .done(let accepted): fd = accepted
                }
            } catch let error as SystemError {
                pauseAccepting(after: error)
                return
            } catch {
                return
            }
            shared.acceptedConnections.wrappingAdd(1, ordering: .relaxed)
            if shared.openConnections.wrappingAdd(1, ordering: .relaxed).newValue > configuration.maxConnections {
                shared.openConnections.wrappingSubtract(1, ordering: .relaxed)
                reject(fd)
                continue
            }
            Socket.setNoDelay(fd)
            let channel: SocketChannel
            if let tls {
                guard let session = try? TLSConnection(server: tls, fd: fd) else {
                    closeDescriptor(fd)
                    shared.openConnections.wrappingSubtract(1, ordering: .relaxed)
                    continue
                }
                channel = .tls(fd, session)
            } else {
                channel = .plain(fd)
            }
            let connection = HTTPServerConnection(fd: fd, channel: channel, context: self)
            connections[fd] = connection
            do {
                try connection.start()
            } catch {
                connection.close()
            }
        }
    }

    /// Out of descriptors or memory: stop accepting for a moment instead of spinning on the listener.
    private func pauseAccepting(after error: SystemError) {
        logger.error("accept failed; pausing new connections for 100 ms", metadata: ["error": "\(error)"])
        guard let listener else { return }
        loop.deregister(listener)
        self.listener = nil
        loop.scheduleTask(after: Nanoseconds.milliseconds(100)) { [self] in
            guard !draining, self.listener == nil else { return }
            self.listener = try? loop.register(listenerFD, events: .readable, handler: self)
        }
    }

    /// Over the connection limit: a best-effort 503 on the fresh socket (its send buffer is empty), then close.
    private func reject(_ fd: Int32) {
        shared.rejectedConnections.wrappingAdd(1, ordering: .relaxed)
        Self.rejectResponse.withUnsafeBytes { bytes in
            _ = Glibc.send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
        }
        Socket.shutdownWrite(fd)
        var discard = [UInt8](repeating: 0, count: 4096)
        _ = Glibc.recv(fd, &discard, discard.count, Int32(MSG_DONTWAIT))
        closeDescriptor(fd)
    }

    // MARK: Connection bookkeeping

    func connectionClosed(_ connection: HTTPServerConnection) {
        if connections.removeValue(forKey: connection.fd) != nil {
            shared.openConnections.wrappingSubtract(1, ordering: .relaxed)
        }
    }

    func requestCompleted(head: HTTPRequestHead, status: HTTPStatus) {
        shared.requestsServed.wrappingAdd(1, ordering: .relaxed)
    }

    func requestRejected(_ error: HTTPRequestError) {
        shared.requestsRejected.wrappingAdd(1, ordering: .relaxed)
    }

    // MARK: Shutdown

    /// Stops accepting and closes idle connections; busy ones close after their current response.
    func beginDraining() {
        draining = true
        if let listener { loop.deregister(listener) }
        listener = nil
        if listenerFD >= 0 {
            closeDescriptor(listenerFD)
            listenerFD = -1
        }
        for connection in Array(connections.values) { connection.drain() }
    }

    /// Closes every remaining connection (the grace period is over).
    func closeAll() {
        for connection in Array(connections.values) { connection.close() }
    }
}
