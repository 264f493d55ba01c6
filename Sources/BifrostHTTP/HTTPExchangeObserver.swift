/// Learns about every request/response exchange the server finishes (for metrics and access logs).
///
/// Called on the connection's event loop thread, synchronously, right after the response's last
/// byte is queued: keep it short and never block (count, record, hand off).
public protocol HTTPExchangeObserver: Sendable {
    func exchangeCompleted(_ exchange: HTTPExchangeRecord)
}

/// One finished exchange, as ``HTTPExchangeObserver`` sees it.
///
/// Reported when a full response is queued, when a streamed response finishes (or is cut off
/// because the connection closed, with ``completed`` false), and for the error responses the
/// server produces itself for requests it could not read (400, 408, 413, 431, ...). A request
/// whose client goes away before any response is started is not reported.
public struct HTTPExchangeRecord: Sendable {
    /// The method token as sent; empty when the request line could not be read.
    public let method: String
    /// The request target as sent (query included); empty when the request line could not be read.
    public let target: String
    /// The request's header fields; empty when the head could not be read.
    public let headers: HTTPHeaders
    /// The response status code.
    public let status: Int
    /// Request bytes read: head (request line and headers) plus body as framed on the wire.
    public let requestBytes: Int
    /// Response bytes queued: head plus body (chunk framing included for chunked streams).
    public let responseBytes: Int
    /// From the server starting on the request's head (its first bytes read; for a pipelined
    /// request, the previous response queued) to the response's last byte being queued.
    public var duration: Duration { .nanoseconds(durationNanoseconds) }
    /// ``duration`` in nanoseconds, as the server measures it.
    public let durationNanoseconds: Int64
    /// ``duration`` in seconds (what Prometheus histograms take).
    public var durationSeconds: Double { Double(durationNanoseconds) / 1e9 }
    /// False for a streamed response cut off because the connection closed before it finished.
    public let completed: Bool
    /// The route the handler matched (``HTTPResponder/setRoute(_:)``), nil when it named none.
    public let route: String?

    public init(method: String, target: String, headers: HTTPHeaders, status: Int, requestBytes: Int,
                responseBytes: Int, durationNanoseconds: Int64, completed: Bool = true, route: String? = nil) {
        self.method = method
        self.target = target
        self.headers = headers
        self.status = status
        self.requestBytes = requestBytes
        self.responseBytes = responseBytes
        self.durationNanoseconds = durationNanoseconds
        self.completed = completed
        self.route = route
    }

    public init(method: String, target: String, headers: HTTPHeaders, status: Int, requestBytes: Int,
                responseBytes: Int, duration: Duration, completed: Bool = true, route: String? = nil) {
        let (seconds, attoseconds) = duration.components
        self.init(method: method, target: target, headers: headers, status: status, requestBytes: requestBytes,
                  responseBytes: responseBytes, durationNanoseconds: seconds &* 1_000_000_000 &+ attoseconds / 1_000_000_000,
                  completed: completed, route: route)
    }

    /// The target without its query string.
    public var path: Substring { HTTPRequestHead.path(of: target) }
}
