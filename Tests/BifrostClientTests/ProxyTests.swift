@testable import BifrostHTTP
import BifrostTestSupport
import Testing

@Suite("HTTP client through a proxy")
struct ProxyTests {
    @Test func httpsGoesThroughAConnectTunnelWithBasicAuth() async throws {
        let certificates = TestCertificates.shared
        let server = try TestServer(tls: try serverTLS(certificates.serverCertificate, certificates.serverKey))
        let proxy = try TestProxy(requiredAuthorization: "Basic dXNlcjpwQHNz")  // user:p@ss
        defer { proxy.stop() }
        let client = try TestHTTPClient {
            $0.proxy = .http(try! HTTPProxyEndpoint(url: "http://user:p%40ss@127.0.0.1:\(proxy.port)"))
        }
        let (response, body) = try await client.get("https://localhost:\(server.port)/through")
        #expect(response.status.code == 200)
        #expect(body == "GET /through|")
        #expect(proxy.requests.map(\.target) == ["localhost:\(server.port)"])
    }

    @Test func proxyRefusalIsAProxyError() async throws {
        let proxy = try TestProxy(requiredAuthorization: "Basic c29tZW9uZTplbHNl")
        defer { proxy.stop() }
        let client = try TestHTTPClient { $0.proxy = .http(HTTPProxyEndpoint(host: "127.0.0.1", port: proxy.port)) }
        let error = await expectClientError(.proxy) { _ = try await client.get("https://localhost:1/") }
        #expect(error?.message.contains("407") == true)
    }

    @Test func noProxyMatchesHostsDomainsAndPorts() throws {
        let list = NoProxyList("localhost, .internal.example,10.0.0.1, api.local:8443")
        #expect(list.matches(HTTPOrigin(secure: true, host: "localhost", port: 443)))
        #expect(list.matches(HTTPOrigin(secure: true, host: "svc.internal.example", port: 443)))
        #expect(list.matches(HTTPOrigin(secure: true, host: "internal.example", port: 443)))
        #expect(list.matches(HTTPOrigin(secure: false, host: "10.0.0.1", port: 80)))
        #expect(list.matches(HTTPOrigin(secure: true, host: "api.local", port: 8443)))
        #expect(!list.matches(HTTPOrigin(secure: true, host: "api.local", port: 443)))
        #expect(!list.matches(HTTPOrigin(secure: true, host: "api.openai.com", port: 443)))
        #expect(NoProxyList("*").matches(HTTPOrigin(secure: true, host: "anything", port: 1)))
    }

    @Test func environmentProxyHonoursNoProxy() throws {
        let environment = ["HTTPS_PROXY": "http://proxy.corp:3128", "NO_PROXY": "localhost,.svc"]
        let proxy = HTTPClientProxy.environment
        #expect(proxy.endpoint(for: HTTPOrigin(secure: true, host: "api.openai.com", port: 443), environment: environment)
            == HTTPProxyEndpoint(host: "proxy.corp", port: 3128))
        #expect(proxy.endpoint(for: HTTPOrigin(secure: true, host: "localhost", port: 443), environment: environment) == nil)
        #expect(proxy.endpoint(for: HTTPOrigin(secure: true, host: "a.svc", port: 443), environment: environment) == nil)
        #expect(proxy.endpoint(for: HTTPOrigin(secure: false, host: "x.com", port: 80), environment: environment) == nil)
    }
}
