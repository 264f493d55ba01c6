/// Connects to a resolved host by trying its addresses in order (IPv6/IPv4 fallback): each attempt
/// is a non-blocking connect registered on the loop for readable, writable and read hang-up
/// (edge-triggered); an attempt that fails moves on to the next address. Loop-confined; used by the
/// HTTP client and the Redis client.
public struct AddressConnector {
    public let addresses: [SocketAddress]
    private var index = 0
    /// Why the last attempt failed (prefixed with its address when there are several).
    public private(set) var lastError: String?

    public init(addresses: [SocketAddress]) {
        self.addresses = addresses
    }

    /// Starts a connect to the next address that accepts one: its socket, registration, and whether
    /// it connected at once. nil when no address is left (``lastError`` says why the last one failed).
    public mutating func connectNext(on loop: EventLoop, handler: any IOEventHandler)
        -> (fd: Int32, registration: Registration, connected: Bool)? {
        while index < addresses.count {
            index += 1
            var socket: Int32 = -1
            do {
                let (fd, connected) = try Socket.connect(to: addresses[index - 1])
                socket = fd
                let registration = try loop.register(fd, events: [.readable, .writable, .readHangup, .edgeTriggered], handler: handler)
                return (fd, registration, connected)
            } catch {
                if socket >= 0 { closeDescriptor(socket) }
                attemptFailed("\(error)")
            }
        }
        return nil
    }

    /// Records that the attempt in progress failed (e.g. `SO_ERROR` after the connect completed); the
    /// caller closes its socket and calls ``connectNext(on:handler:)`` again.
    public mutating func attemptFailed(_ error: String) {
        let address = addresses[max(0, index - 1)]
        lastError = addresses.count > 1 ? "\(address): \(error)" : error
    }
}
