import COpenSSL

/// RSASSA-PKCS1-v1_5 signatures with SHA-256 (JWT `RS256`) from a PEM private key, with libcrypto:
/// Google service accounts sign their token requests this way.
public final class RSASigner: @unchecked Sendable {
    // The key is read-only after init; EVP_DigestSign with a fresh context per call is thread-safe.
    private let key: OpaquePointer

    /// Reads a PEM private key (`-----BEGIN PRIVATE KEY-----` or `RSA PRIVATE KEY`).
    public init(pem: String) throws(TLSError) {
        let bytes = Array(pem.utf8)
        let parsed: OpaquePointer? = bytes.withUnsafeBytes { buffer in
            guard let bio = BIO_new_mem_buf(buffer.baseAddress, Int32(buffer.count)) else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_PrivateKey(bio, nil, nil, nil)
        }
        guard let parsed else {
            throw TLSError(.configuration, "not a PEM private key" + ": " + TLSError.drainErrorQueue())
        }
        key = parsed
    }

    deinit { EVP_PKEY_free(key) }

    /// The RS256 signature of `data`.
    public func sign(_ data: [UInt8]) throws(TLSError) -> [UInt8] {
        guard let context = EVP_MD_CTX_new() else { throw TLSError(.configuration, "cannot allocate a digest context" + ": " + TLSError.drainErrorQueue()) }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestSignInit(context, nil, EVP_sha256(), nil, key) == 1 else {
            throw TLSError(.configuration, "the key cannot sign with SHA-256" + ": " + TLSError.drainErrorQueue())
        }
        var length = 0
        let sized = data.withUnsafeBytes { EVP_DigestSign(context, nil, &length, $0.baseAddress, $0.count) }
        guard sized == 1 else {
            throw TLSError(.configuration, "signing failed" + ": " + TLSError.drainErrorQueue())
        }
        var signature = [UInt8](repeating: 0, count: length)
        let signed = data.withUnsafeBytes { EVP_DigestSign(context, &signature, &length, $0.baseAddress, $0.count) }
        guard signed == 1 else {
            throw TLSError(.configuration, "signing failed" + ": " + TLSError.drainErrorQueue())
        }
        return Array(signature.prefix(length))
    }
}
