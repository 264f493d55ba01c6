#ifndef C_OPENSSL_SHIM_H
#define C_OPENSSL_SHIM_H

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

/* Macros Swift cannot import, as prefixed inline functions. */

static inline long copenssl_SSL_set_tlsext_host_name(SSL *ssl, const char *name) {
    return SSL_set_tlsext_host_name(ssl, name);
}

static inline long copenssl_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) {
    return SSL_CTX_set_min_proto_version(ctx, version);
}

static inline long copenssl_SSL_CTX_set_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_mode(ctx, mode);
}

static inline long copenssl_SSL_CTX_set_session_cache_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_session_cache_mode(ctx, mode);
}

/* Socket reads of a session, observed: *flag says whether the last read on the session's socket BIO
   came back with less than it asked for (or failed). With read-ahead on, OpenSSL asks for a whole
   buffer, so a short read means the socket had nothing more at that moment. */
static inline long copenssl_short_read_callback(BIO *bio, int oper, const char *argp, size_t len, int argi,
                                                long argl, int ret, size_t *processed) {
    (void)argp; (void)argi; (void)argl;
    if (oper == (BIO_CB_READ | BIO_CB_RETURN)) {
        int *flag = (int *)BIO_get_callback_arg(bio);
        if (flag != NULL) *flag = ret <= 0 || processed == NULL || *processed < len;
    }
    return ret;
}

/* Turns on read-ahead for `ssl` (set up on a socket) and points its read BIO's callback at `flag`. */
static inline void copenssl_SSL_track_socket_reads(SSL *ssl, int *flag) {
    SSL_set_read_ahead(ssl, 1);
    BIO *bio = SSL_get_rbio(ssl);
    BIO_set_callback_arg(bio, (char *)flag);
    BIO_set_callback_ex(bio, copenssl_short_read_callback);
}

static const int COPENSSL_TLS1_2_VERSION = TLS1_2_VERSION;
static const long COPENSSL_MODE_ENABLE_PARTIAL_WRITE = SSL_MODE_ENABLE_PARTIAL_WRITE;
static const long COPENSSL_MODE_ACCEPT_MOVING_WRITE_BUFFER = SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER;
static const long COPENSSL_MODE_RELEASE_BUFFERS = SSL_MODE_RELEASE_BUFFERS;
static const uint64_t COPENSSL_OP_NO_COMPRESSION = SSL_OP_NO_COMPRESSION;
static const uint64_t COPENSSL_OP_NO_RENEGOTIATION = SSL_OP_NO_RENEGOTIATION;
static const uint64_t COPENSSL_OP_IGNORE_UNEXPECTED_EOF = SSL_OP_IGNORE_UNEXPECTED_EOF;
static const long COPENSSL_SESS_CACHE_CLIENT = SSL_SESS_CACHE_CLIENT;
static const long COPENSSL_SESS_CACHE_SERVER = SSL_SESS_CACHE_SERVER;
static const int COPENSSL_VERIFY_PEER = SSL_VERIFY_PEER;
static const int COPENSSL_VERIFY_NONE = SSL_VERIFY_NONE;
static const int COPENSSL_FILETYPE_PEM = SSL_FILETYPE_PEM;

#endif
