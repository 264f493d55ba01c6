import Foundation

/// Certificates generated at test time with the `openssl` command (no private key is ever committed):
/// a test CA, a leaf for `localhost`/`127.0.0.1` signed by it, an expired leaf, a leaf for another
/// host name, and a second CA nobody trusts.
public final class TestCertificates: Sendable {
    public let directory: String
    /// The CA that signed `serverCertificate`, `expiredCertificate` and `wrongHostCertificate`.
    public let caFile: String
    public let serverCertificate: String
    public let serverKey: String
    public let expiredCertificate: String
    public let expiredKey: String
    /// Valid, but for `other.example` only.
    public let wrongHostCertificate: String
    public let wrongHostKey: String
    /// Signed by a CA that is not `caFile`.
    public let untrustedCertificate: String
    public let untrustedKey: String

    /// Generated once per test process.
    public static let shared: TestCertificates = {
        do {
            return try TestCertificates()
        } catch {
            fatalError("cannot generate test certificates with openssl: \(error)")
        }
    }()

    private init() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("bifrost-certs-\(getpid())-\(UInt32.random(in: 0 ... .max))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        self.directory = directory
        func path(_ name: String) -> String { "\(directory)/\(name)" }
        caFile = path("ca.pem")
        serverCertificate = path("server.pem")
        serverKey = path("server.key")
        expiredCertificate = path("expired.pem")
        expiredKey = path("expired.key")
        wrongHostCertificate = path("wronghost.pem")
        wrongHostKey = path("wronghost.key")
        untrustedCertificate = path("untrusted.pem")
        untrustedKey = path("untrusted.key")

        try Self.makeCA(directory: directory, name: "ca", subject: "/CN=Bifrost Test CA")
        try Self.makeCA(directory: directory, name: "otherca", subject: "/CN=Untrusted Test CA")
        try Self.makeLeaf(directory: directory, name: "server", ca: "ca", host: "localhost", sans: "DNS:localhost,IP:127.0.0.1,IP:::1")
        try Self.makeLeaf(directory: directory, name: "wronghost", ca: "ca", host: "other.example", sans: "DNS:other.example")
        try Self.makeLeaf(directory: directory, name: "untrusted", ca: "otherca", host: "localhost", sans: "DNS:localhost,IP:127.0.0.1")
        try Self.makeLeaf(directory: directory, name: "expired", ca: "ca", host: "localhost", sans: "DNS:localhost,IP:127.0.0.1",
                          validity: ("20200101000000Z", "20200201000000Z"))
    }

    private static func makeCA(directory: String, name: String, subject: String) throws {
        try run(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "3",
                 "-keyout", "\(directory)/\(name).key", "-out", "\(directory)/\(name).pem", "-subj", subject,
                 "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
    }

    /// A leaf signed with `openssl ca`, which (unlike `x509 -req`) accepts explicit start and end dates.
    private static func makeLeaf(directory: String, name: String, ca: String, host: String, sans: String,
                                 validity: (String, String)? = nil) throws {
        let database = "\(directory)/\(name)-db"
        try FileManager.default.createDirectory(atPath: database, withIntermediateDirectories: true)
        try Data().write(to: URL(fileURLWithPath: "\(database)/index.txt"))
        try Data("\(String(format: "%02X", abs(name.hashValue) % 200 + 16))\n".utf8).write(to: URL(fileURLWithPath: "\(database)/serial"))
        let config = """
        [ ca ]
        default_ca = test_ca
        [ test_ca ]
        dir = \(database)
        database = \(database)/index.txt
        serial = \(database)/serial
        new_certs_dir = \(database)
        default_md = sha256
        policy = anything
        copy_extensions = none
        unique_subject = no
        x509_extensions = leaf
        [ anything ]
        commonName = supplied
        [ leaf ]
        basicConstraints = CA:FALSE
        keyUsage = critical,digitalSignature,keyEncipherment
        extendedKeyUsage = serverAuth
        subjectAltName = \(sans)
        """
        let configPath = "\(database)/ca.cnf"
        try Data(config.utf8).write(to: URL(fileURLWithPath: configPath))
        try run(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(directory)/\(name).key",
                 "-out", "\(database)/request.csr", "-subj", "/CN=\(host)"])
        var arguments = ["ca", "-batch", "-config", configPath, "-cert", "\(directory)/\(ca).pem",
                         "-keyfile", "\(directory)/\(ca).key", "-in", "\(database)/request.csr",
                         "-out", "\(directory)/\(name).pem", "-notext"]
        if let (start, end) = validity {
            arguments += ["-startdate", start, "-enddate", end]
        } else {
            arguments += ["-days", "2"]
        }
        try run(arguments)
    }

    private static func run(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let output = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw NSError(domain: "openssl", code: Int(process.terminationStatus), userInfo: [
                NSLocalizedDescriptionKey: "openssl \(arguments.joined(separator: " ")) failed: \(String(decoding: output, as: UTF8.self))",
            ])
        }
    }
}
