/// Answers requests. The server calls it once per complete request, in order per connection.
public protocol HTTPHandler: Sendable {
    /// Called on the connection's event loop thread: must not block.
    ///
    /// Answer exactly once through `responder`, now or later and from any thread: either
    /// ``HTTPResponder/send(_:)`` or ``HTTPResponder/startStream(_:)``. Work that waits
    /// (upstream calls, plugins) belongs in a task that responds when done.
    func handle(_ request: HTTPRequest, responder: HTTPResponder)
}
