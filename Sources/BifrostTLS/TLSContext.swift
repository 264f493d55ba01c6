import COpenSSL
import Glibc

/// Settings for the client side of TLS.
public struct TLSClientConfiguration: Sendable, Equatable {
    /// Verify the server's certificate chain and host name. Off only for explicitly trusted private endpoints.
    public var verifyPeer = true
    /// A PEM file of trusted CAs to use instead of the system store (which honours `SSL_CERT_FILE`/`SSL_CERT_DIR`).
    public var caFile: String?
    /// ALPN protocols offered, in order.
    public var alpn: [String] = ["http/1.1"]

    public init() {}
}

/// Settings for the server side of TLS.
public struct TLSServerConfiguration: Sendable, Equatable {
    /// PEM certificate chain (leaf first).
    public var certificateChainFile: String
    /// PEM private key for the leaf certificate.
    public var privateKeyFile: String

    public init(certificateChainFile: String, privateKeyFile: String) {
        self.certificateChainFile = certificateChainFile
        self.privateKeyFile = privateKeyFile
    }
}

/// An OpenSSL `SSL_CTX`: built once, then shared by every connection on every loop
/// (OpenSSL makes a configured context safe to use from many threads).
public final class TLSContext: @unchecked Sendable {
    let context: OpaquePointer
    /// True for a client context.
    public let isClient: Bool
    /// The client configuration, for clients.
    public let clientConfiguration: TLSClientConfiguration?

    /// A client context: TLS 1.2 minimum, peer verification against the system store (or `caFile`)
    /// unless explicitly disabled, ALPN, client-side session cache for resumption.
    public init(client configuration: TLSClientConfiguration) throws {
        guard let context = SSL_CTX_new(TLS_client_method()) else {
            throw TLSError(.configuration, "cannot create a TLS client context: \(TLSError.drainErrorQueue())")
        }
        self.context = context
        isClient = true
        clientConfiguration = configuration
        try applyCommonSettings()
        if configuration.verifyPeer {
            SSL_CTX_set_verify(context, COPENSSL_VERIFY_PEER, nil)
            if let caFile = configuration.caFile {
                guard SSL_CTX_load_verify_locations(context, caFile, nil) == 1 else {
                    throw TLSError(.configuration, "cannot load CA file \(caFile): \(TLSError.drainErrorQueue())")
                }
            } else if SSL_CTX_set_default_verify_paths(context) != 1 {
                throw TLSError(.configuration, "cannot load the system trust store: \(TLSError.drainErrorQueue())")
            }
        } else {
            SSL_CTX_set_verify(context, COPENSSL_VERIFY_NONE, nil)
        }
        var wire: [UInt8] = []
        for name in configuration.alpn {
            wire.append(UInt8(name.utf8.count))
            wire.append(contentsOf: name.utf8)
        }
        if !wire.isEmpty { _ = SSL_CTX_set_alpn_protos(context, wire, UInt32(wire.count)) }
        _ = copenssl_SSL_CTX_set_session_cache_mode(context, COPENSSL_SESS_CACHE_CLIENT)
    }

    /// A server context from a PEM certificate chain and key; fails with a message naming the file.
    public init(server configuration: TLSServerConfiguration) throws {
        guard let context = SSL_CTX_new(TLS_server_method()) else {
            throw TLSError(.configuration, "cannot create a TLS server context: \(TLSError.drainErrorQueue())")
        }
        self.context = context
        isClient = false
        clientConfiguration = nil
        try applyCommonSettings()
        guard SSL_CTX_use_certificate_chain_file(context, configuration.certificateChainFile) == 1 else {
            throw TLSError(.configuration, "cannot load TLS certificate \(configuration.certificateChainFile): \(TLSError.drainErrorQueue())")
        }
        guard SSL_CTX_use_PrivateKey_file(context, configuration.privateKeyFile, COPENSSL_FILETYPE_PEM) == 1 else {
            throw TLSError(.configuration, "cannot load TLS private key \(configuration.privateKeyFile): \(TLSError.drainErrorQueue())")
        }
        guard SSL_CTX_check_private_key(context) == 1 else {
            throw TLSError(.configuration, "TLS private key \(configuration.privateKeyFile) does not match certificate \(configuration.certificateChainFile)")
        }
        SSL_CTX_set_alpn_select_cb(context, { _, out, outLength, offered, offeredLength, _ in
            // Accept http/1.1 when offered; otherwise continue without ALPN.
            var index = 0
            guard let offered else { return SSL_TLSEXT_ERR_NOACK }
            while index < Int(offeredLength) {
                let length = Int(offered[index])
                if length == 8, index + 1 + length <= Int(offeredLength),
                   String(decoding: UnsafeBufferPointer(start: offered + index + 1, count: length), as: UTF8.self) == "http/1.1" {
                    out?.pointee = offered + index + 1
                    outLength?.pointee = UInt8(length)
                    return SSL_TLSEXT_ERR_OK
                }
                index += 1 + length
            }
            return SSL_TLSEXT_ERR_NOACK
        }, nil)
        _ = copenssl_SSL_CTX_set_session_cache_mode(context, COPENSSL_SESS_CACHE_SERVER)
    }

    deinit {
        SSL_CTX_free(context)
    }

    private func applyCommonSettings() throws {
        guard copenssl_SSL_CTX_set_min_proto_version(context, COPENSSL_TLS1_2_VERSION) == 1 else {
            throw TLSError(.configuration, "cannot require TLS 1.2: \(TLSError.drainErrorQueue())")
        }
        _ = SSL_CTX_set_options(context, COPENSSL_OP_NO_COMPRESSION | COPENSSL_OP_NO_RENEGOTIATION)
        _ = copenssl_SSL_CTX_set_mode(context, COPENSSL_MODE_ENABLE_PARTIAL_WRITE | COPENSSL_MODE_ACCEPT_MOVING_WRITE_BUFFER
            | COPENSSL_MODE_RELEASE_BUFFERS)
    }
}
