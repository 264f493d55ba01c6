import BifrostCore
import BifrostHTTP
import BifrostIO
import BifrostMock
import BifrostPluginKit
import BifrostTLS
import BifrostTestSupport
import BifrostTransport
import Foundation
import Logging
import Synchronization
import Testing

/// An upstream that records what it was sent and answers like OpenAI.
final class CapturingUpstream: Sendable {
    final class Recorded: Sendable {
        let requests = Mutex<[HTTPRequest]>([])
    }
    let recorded = Recorded()
    let server: TestServer

    init(status: Int = 200, body: String = #"{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"captured"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}}"#) throws {
        let recorded = self.recorded
        let certificates = TestCertificates.shared
        server = try TestServer(handler: ClosureHandler { request, responder in
            recorded.requests.withLock { $0.append(request) }
            responder.send(.json(HTTPStatus(code: status), body))
        }, tls: try TLSContext(server: TLSServerConfiguration(certificateChainFile: certificates.serverCertificate,
                                                              privateKeyFile: certificates.serverKey)))
    }

    var last: HTTPRequest? { recorded.requests.withLock { $0.last } }
}

/// A gateway in-process on 127.0.0.1:0 with the given providers JSON; upstream TLS trusts the test CA.
final class TestGateway: Sendable {
    let gateway: Gateway
    var port: Int { gateway.server.port }

    init(providers: String, dropExcess: Bool = false, prometheusLabels: [String] = [], poolSize: Int = 300) throws {
        let config = try GatewayConfig.parse(Data(#"{"providers": \#(providers)}"#.utf8), path: "test.json", environment: [:])
        var options = GatewayOptions()
        options.upstreamTLS.caFile = TestCertificates.shared.caFile
        options.dropExcessRequests = dropExcess
        options.prometheusLabels = prometheusLabels
        options.poolSize = poolSize
        var quiet = Logger(label: "test-gateway")
        quiet.logLevel = .error
        var withLoops = config
        withLoops.eventLoops = 1
        gateway = try Gateway(config: withLoops, host: "127.0.0.1", port: 0, options: options, logger: quiet)
        try gateway.start()
    }

    deinit { gateway.stop() }

    func client() throws -> TestClient { try TestClient(port: port) }

    /// Sends a JSON POST on a fresh connection and reads the response.
    func post(_ path: String, _ json: String) throws -> TestClient.Response {
        let client = try client()
        try client.send(TestClient.request("POST", path, body: json))
        return try client.readResponse()
    }
}

func jsonObject(_ text: String) -> [String: Any]? {
    (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
}

extension LiveGatewayTests {
    @Suite("Gateway end to end over HTTPS upstreams")
    struct GatewayEndToEndTests {
        @Test func chatCompletionIsSentUpstreamFieldByFieldAndTranslatedBack() throws {
            let upstream = try CapturingUpstream()
            let gateway = try TestGateway(providers: #"{"openai": {"keys": [{"value": "sk-upstream-secret"}], "network_config": {"base_url": "https://localhost:\#(upstream.server.port)", "extra_headers": {"X-Team": "core"}}}}"#)
            let response = try gateway.post("/v1/chat/completions", #"{"model":"openai/gpt-4o-mini","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi"}],"temperature":0.2,"max_tokens":50,"stop":"END","seed":7,"logit_bias":{"50256":-100}}"#)
            #expect(response.status == 200)
            let body = try #require(jsonObject(response.bodyText))
            #expect((body["choices"] as? [[String: Any]])?.first?["finish_reason"] as? String == "stop")
            let extra = try #require(body["extra_fields"] as? [String: Any])
            #expect(extra["provider"] as? String == "openai")
            #expect(extra["model"] as? String == "gpt-4o-mini")
            #expect(extra["latency"] is Int)

            let sent = try #require(upstream.last)
            #expect(sent.method == "POST")
            #expect(sent.target == "/v1/chat/completions")
            #expect(sent.headers["authorization"] == "Bearer sk-upstream-secret")
            #expect(sent.headers["x-team"] == "core")
            #expect(sent.headers["content-type"] == "application/json")
            let upstreamBody = try #require(jsonObject(String(decoding: sent.body, as: UTF8.self)))
            #expect(upstreamBody["model"] as? String == "gpt-4o-mini")
            #expect((upstreamBody["messages"] as? [[String: Any]])?.count == 2)
            #expect(upstreamBody["temperature"] as? Double == 0.2)
            #expect(upstreamBody["max_completion_tokens"] as? Int == 50)  // OpenAI's name for the limit, whichever the client used
            #expect(upstreamBody["stop"] as? [String] == ["END"])
            #expect(upstreamBody["seed"] as? Int == 7)
            // Unknown parameters pass through untouched.
            #expect((upstreamBody["logit_bias"] as? [String: Any])?["50256"] as? Int == -100)
            #expect(upstreamBody["stream"] == nil)
        }

        /// OpenAI gets `max_completion_tokens` whatever the client's name for the limit, custom endpoints
        /// the client's name; the built-in compatible providers `max_tokens` (Mistral rejects the other
        /// name, Ollama ignores it), and so do text completions.
        @Test(arguments: [("openai", "chat/completions", "max_completion_tokens", "max_completion_tokens"),
                          ("openai", "chat/completions", "max_tokens", "max_completion_tokens"),
                          ("inhouse", "chat/completions", "max_completion_tokens", "max_completion_tokens"),
                          ("inhouse", "chat/completions", "max_tokens", "max_tokens"),
                          ("mistral", "chat/completions", "max_completion_tokens", "max_tokens"),
                          ("ollama", "chat/completions", "max_completion_tokens", "max_tokens"),
                          ("openai", "completions", "max_completion_tokens", "max_tokens")])
        func theTokenLimitGoesUnderTheNameTheProviderTakes(_ provider: String, _ path: String, _ clientName: String, _ sentName: String) throws {
            let upstream = try CapturingUpstream(body: path == "completions"
                ? #"{"id":"c","object":"text_completion","created":1,"model":"m","choices":[{"index":0,"text":"x","finish_reason":"stop"}]}"#
                : #"{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"x"},"finish_reason":"stop"}]}"#)
            let custom = provider == "inhouse" ? #", "custom_provider_config": {"base_provider_type": "openai"}"# : ""
            let gateway = try TestGateway(providers: #"{"\#(provider)": {"keys": [{"value": "k"}], "network_config": {"base_url": "https://localhost:\#(upstream.server.port)"}\#(custom)}}"#)
            let input = path == "completions" ? #""prompt":"hi""# : #""messages":[{"role":"user","content":"hi"}]"#
            let response = try gateway.post("/v1/\(path)", #"{"model":"\#(provider)/o3-mini",\#(input),"\#(clientName)":300}"#)
            #expect(response.status == 200)
            let request = try #require(upstream.last)
            let sent = try #require(jsonObject(String(decoding: request.body, as: UTF8.self)))
            #expect(sent[sentName] as? Int == 300)
            #expect(sent.keys.filter { $0.hasPrefix("max_") } == [sentName])
        }

        @Test func anAnthropicClientsLimitReachesOpenAIUnderOpenAIsName() throws {
            let upstream = try CapturingUpstream()
            let gateway = try TestGateway(providers: #"{"openai": {"keys": [{"value": "k"}], "network_config": {"base_url": "https://localhost:\#(upstream.server.port)"}}}"#)
            let response = try gateway.post("/anthropic/v1/messages", #"{"model":"openai/o3-mini","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}"#)
            #expect(response.status == 200)
            let request = try #require(upstream.last)
            let sent = try #require(jsonObject(String(decoding: request.body, as: UTF8.self)))
            #expect(sent["max_completion_tokens"] as? Int == 10 && sent["max_tokens"] == nil)
        }

        @Test func membersTheGatewayDoesNotModelReachTheClientAsTheProviderSentThem() throws {
            let upstream = try CapturingUpstream(body: #"{"id":"chatcmpl-9","object":"chat.completion","created":1,"model":"gpt-4o-mini","service_tier":"flex","choices":[{"index":0,"message":{"role":"assistant","content":"Zürich","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6,"prompt_tokens_details":{"cached_tokens":2}}}"#)
            let gateway = try TestGateway(providers: #"{"openai": {"keys": [{"value": "sk-1"}], "network_config": {"base_url": "https://localhost:\#(upstream.server.port)"}}}"#)
            let response = try gateway.post("/v1/chat/completions", #"{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}"#)
            #expect(response.status == 200)
            let body = try #require(jsonObject(response.bodyText))
            #expect(body["service_tier"] as? String == "flex")
            let choice = try #require((body["choices"] as? [[String: Any]])?.first)
            #expect(choice.keys.contains("logprobs"))
            #expect((choice["message"] as? [String: Any])?["content"] as? String == "Zürich")
            #expect(((body["usage"] as? [String: Any])?["prompt_tokens_details"] as? [String: Any])?["cached_tokens"] as? Int == 2)
            #expect((body["extra_fields"] as? [String: Any])?["provider"] as? String == "openai")
            // Another dialect reads the same answer decoded.
            let messages = try gateway.post("/anthropic/v1/messages", #"{"model":"openai/gpt-4o-mini","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}"#)
            let content = (jsonObject(messages.bodyText)?["content"] as? [[String: Any]])?.first
            #expect(content?["text"] as? String == "Zürich")
        }

        @Test func streamedChunksKeepTheMembersTheGatewayDoesNotModel() throws {
            let chunk = #"{"id":"c1","object":"chat.completion.chunk","created":1,"model":"deepseek-r1","system_fingerprint":"fp_1","choices":[{"index":0,"delta":{"role":"assistant","reasoning_content":"Thinking.","content":"Hi"},"logprobs":{"content":[{"token":"Hi","logprob":-0.25,"top_logprobs":[]}]},"finish_reason":null}]}"#
            let upstream = try CapturingUpstream(body: "data: \(chunk)\n\ndata: [DONE]\n\n")
            let gateway = try TestGateway(providers: #"{"openrouter": {"keys": [{"value": "k"}], "network_config": {"base_url": "https://localhost:\#(upstream.server.port)"}}}"#)
            let response = try gateway.post("/v1/chat/completions", #"{"model":"openrouter/deepseek-r1","stream":true,"messages":[{"role":"user","content":"hi"}]}"#)
            #expect(response.status == 200)
            let events = response.bodyText.components(separatedBy: "\n\n").filter { !$0.isEmpty }
            #expect(events.count == 2)
            #expect(events.first == "data: " + chunk.dropLast() + #","extra_fields":{"provider":"openrouter","model":"deepseek-r1"}}"#)
            #expect(events.last == "data: [DONE]")
        }

        @Test(arguments: ["openai", "groq", "mistral", "openrouter", "cerebras", "parasail", "sgl", "ollama", "inhouse"])
        func everyOpenAICompatibleProviderCallsItsBaseURLWithItsKey(_ provider: String) throws {
            let upstream = try CapturingUpstream()
            let keyless = provider == "ollama"
            let keys = keyless ? "" : #""keys": [{"value": "key-for-\#(provider)"}], "#
            let custom = provider == "inhouse" ? #", "custom_provider_config": {"base_provider_type": "openai"}"# : ""
            let gateway = try TestGateway(providers: #"{"\#(provider)": {\#(keys)"network_config": {"base_url": "https://localhost:\#(upstream.server.port)/v1"}\#(custom)}}"#)
            let response = try gateway.post("/v1/chat/completions", #"{"model":"\#(provider)/some-model","messages":[{"role":"user","content":"hi"}]}"#)
            #expect(response.status == 200)
            let sent = try #require(upstream.last)
            #expect(sent.target == "/v1/chat/completions")  // a base URL ending in /v1 gets no second /v1
            #expect(sent.headers["authorization"] == (keyless ? nil : "Bearer key-for-\(provider)"))
            let extra = jsonObject(response.bodyText)?["extra_fields"] as? [String: Any]
            #expect(extra?["provider"] as? String == provider)
        }

        @Test func textCompletionAndEmbeddingRoutesReachTheirUpstreamPaths() throws {
            let mock = try MockServerFixture()
            let gateway = try TestGateway(providers: #"{"openai": {"keys": [{"value": "k"}], "network_config": {"base_url": "https://localhost:\#(mock.port)"}}}"#)
            for path in ["/v1/text/completions", "/v1/completions"] {
                let text = try gateway.post(path, #"{"model":"openai/gpt-3.5-turbo-instruct","prompt":"Say hi"}"#)
                #expect(text.status == 200)
                #expect(jsonObject(text.bodyText)?["object"] as? String == "text_completion")
            }
            let embeddings = try gateway.post("/v1/embeddings", #"{"model":"openai/text-embedding-3-small","input":["a","b"]}"#)
            #expect(embeddings.status == 200)
            #expect((jsonObject(embeddings.bodyText)?["data"] as? [Any])?.count == 2)
        }

        @Test func bifrostOriginalBodyIsAccepted() throws {
            let upstream = try CapturingUpstream()
            let gateway = try TestGateway(providers: #"{"openai": {"keys": [{"value": "k"}], "network_config": {"base_url": "https://localhost:\#(upstream.server.port)"}}}"#)
            let response = try gateway.post("/v1/chat/completions", #"{"provider":"openai","model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"params":{"top_p":0.5},"fallbacks":[{"provider":"groq","model":"x"}]}"#)
            #expect(response.status == 200)
            let sent = try #require(upstream.last)
            let upstreamBody = try #require(jsonObject(String(decoding: sent.body, as: UTF8.self)))
            #expect(upstreamBody["top_p"] as? Double == 0.5)
        }

        @Test func upstreamErrorsKeepTheirStatusAndMessage() throws {
            let upstream = try CapturingUpstream(status: 401, body: #"{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}}"#)
            let gateway = try TestGateway(providers: #"{"openai": {"keys": [{"value": "k"}], "network_config": {"base_url": "https://localhost:\#(upstream.server.port)"}}}"#)
            let response = try gateway.post("/v1/chat/completions", #"{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}"#)
            #expect(response.status == 401)
            let body = try #require(jsonObject(response.bodyText))
            #expect(body["is_bifrost_error"] as? Bool == false)
            #expect(body["status_code"] as? Int == 401)
            let error = try #require(body["error"] as? [String: Any])
            #expect(error["message"] as? String == "Incorrect API key provided")
            #expect(error["code"] as? String == "invalid_api_key")
        }

        @Test(arguments: [
            (#"{"messages":[{"role":"user","content":"hi"}]}"#, "model"),
            (#"{"model":"openai/gpt-4o-mini"}"#, "messages"),
            (#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}"#, "model"),
            (#"{"model":"openai/gpt-4o-mini","messages":"hi"}"#, "messages"),
            (#"{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"temperature":"hot"}"#, "temperature"),
            (#"{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"stream":"yes"}"#, "stream"),
            (#"not json"#, "JSON"),
        ])
        func badRequestsAre400NamingTheField(_ body: String, _ field: String) throws {
            let gateway = try TestGateway(providers: #"{"openai": {"keys": [{"value": "k"}]}}"#)
            let response = try gateway.post("/v1/chat/completions", body)
            #expect(response.status == 400)
            let error = try #require(jsonObject(response.bodyText)?["error"] as? [String: Any])
            #expect((error["message"] as? String)?.contains(field) == true, "\(error)")
        }

        @Test func unknownProviderIs400() throws {
            let gateway = try TestGateway(providers: #"{"openai": {"keys": [{"value": "k"}]}}"#)
            let response = try gateway.post("/v1/chat/completions", #"{"model":"nowhere/m","messages":[{"role":"user","content":"hi"}]}"#)
            #expect(response.status == 400)
            #expect(response.bodyText.contains("provider nowhere is not configured"))
        }

        @Test func streamingRelaysChunksAsTheyArriveAndEndsWithDone() throws {
            let mock = try MockServerFixture()
            let gateway = try TestGateway(providers: #"{"openai": {"keys": [{"value": "k"}], "network_config": {"base_url": "https://localhost:\#(mock.port)"}}}"#)
            let client = try gateway.client()
            try client.send(TestClient.request("POST", "/v1/chat/completions",
                                               body: #"{"model":"openai/mock-fault-slow-drip","stream":true,"messages":[{"role":"user","content":"hi"}]}"#))
            let head = try client.readHead()
            #expect(head.status == 200)
            #expect(head.header("content-type") == "text/event-stream")
            let response = try client.readBody(of: head)
            let events = response.bodyText.components(separatedBy: "\n\n").filter { !$0.isEmpty }
            #expect(events.last == "data: [DONE]")
            #expect(events.count >= 3)
            // The mock drips events 100 ms apart: relayed one by one, they reach the client spread out, not in one burst.
            let arrivals = response.chunkArrivals.map(\.milliseconds)
            #expect(arrivals.count >= 3)
            if let first = arrivals.first, let last = arrivals.last { #expect(last - first >= 100) }
        }

        @Test func midStreamFailureBecomesAnErrorEventWithoutDone() throws {
            let mock = try MockServerFixture()
            let gateway = try TestGateway(providers: #"{"openai": {"keys": [{"value": "k"}], "network_config": {"base_url": "https://localhost:\#(mock.port)"}}}"#)
            let client = try gateway.client()
            try client.send(TestClient.request("POST", "/v1/chat/completions",
                                               body: #"{"model":"openai/mock-fault-reset","stream":true,"messages":[{"role":"user","content":"hi"}]}"#))
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(!response.bodyText.contains("[DONE]"))
            let lastEvent = response.bodyText.components(separatedBy: "\n\n").filter { !$0.isEmpty }.last ?? ""
            #expect(lastEvent.contains("\"is_bifrost_error\""))
        }

        @Test func upstreamErrorEventMidStreamIsRelayedAsAnErrorNotAsAChunk() throws {
            let certificates = TestCertificates.shared
            let upstream = try TestServer(handler: ClosureHandler { _, responder in
                let writer = responder.startStream(HTTPResponseHead(status: .ok, headers: HTTPHeaders([("Content-Type", "text/event-stream")])))
                Task(executorPreference: responder.eventLoop) {
                    try await writer.write(Array(#"data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"}}]}"#.utf8) + [10, 10])
                    try await writer.write(Array(#"data: {"error":{"message":"upstream overloaded","type":"server_error"}}"#.utf8) + [10, 10])
                    writer.finish()
                }
            }, tls: try TLSContext(server: TLSServerConfiguration(certificateChainFile: certificates.serverCertificate,
                                                                  privateKeyFile: certificates.serverKey)))
            let gateway = try TestGateway(providers: #"{"openai": {"keys": [{"value": "k"}], "network_config": {"base_url": "https://localhost:\#(upstream.port)"}}}"#)
            let client = try gateway.client()
            try client.send(TestClient.request("POST", "/v1/chat/completions",
                                               body: #"{"model":"openai/gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]}"#))
            let events = try client.readResponse().bodyText.components(separatedBy: "\n\n").filter { !$0.isEmpty }
            #expect(events.count == 2)
            #expect(events.first?.contains("\"Hi\"") == true)
            #expect(events.last?.contains("upstream overloaded") == true)
            #expect(events.last?.contains("is_bifrost_error") == true)
        }

        @Test func fallbackThroughHTTPWhenThePrimaryFails() throws {
            let mock = try MockServerFixture()
            let gateway = try TestGateway(providers: #"{"openai": {"keys": [{"value": "k"}], "network_config": {"base_url": "https://localhost:\#(mock.port)"}}, "groq": {"keys": [{"value": "g"}], "network_config": {"base_url": "https://localhost:\#(mock.port)"}}}"#)
            let response = try gateway.post("/v1/chat/completions", #"{"model":"openai/mock-fault-status-503","messages":[{"role":"user","content":"hi"}],"fallbacks":["groq/llama-3"]}"#)
            #expect(response.status == 200)
            let extra = jsonObject(response.bodyText)?["extra_fields"] as? [String: Any]
            #expect(extra?["provider"] as? String == "groq")
        }

        @Test func retriesThroughHTTPRecoverFromARateLimit() throws {
            let upstream = try FlakyUpstream(failures: 2)
            let gateway = try TestGateway(providers: #"{"openai": {"keys": [{"value": "k"}], "network_config": {"base_url": "https://localhost:\#(upstream.server.port)", "max_retries": 3, "retry_backoff_initial": 1, "retry_backoff_max": 5}}}"#)
            let response = try gateway.post("/v1/chat/completions", #"{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}"#)
            #expect(response.status == 200)
            #expect(upstream.calls.value == 3)
        }

        @Test func burstWithDropExcessGets503sAndTheServerStaysHealthy() throws {
            let mock = try MockServerFixture(latencyMilliseconds: 300)
            let gateway = try TestGateway(providers: #"{"openai": {"keys": [{"value": "k"}], "concurrency_and_buffer_size": {"concurrency": 1, "buffer_size": 1}, "network_config": {"base_url": "https://localhost:\#(mock.port)"}}}"#,
                                          dropExcess: true)
            let clients = try (0..<6).map { _ in try gateway.client() }
            for client in clients {
                try client.send(TestClient.request("POST", "/v1/chat/completions", body: #"{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}"#))
            }
            let statuses = try clients.map { try $0.readResponse().status }
            #expect(statuses.filter { $0 == 200 }.count >= 2)
            #expect(statuses.filter { $0 == 503 }.count >= 1)
            #expect(Set(statuses).isSubset(of: [200, 503]))
            let health = try gateway.client()
            try health.send("GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try health.readResponse().status == 200)
        }

        @Test func poolSizeCapsTheUpstreamConnectionsPerProviderHost() throws {
            let mock = try MockServerFixture(latencyMilliseconds: 200)
            let gateway = try TestGateway(providers: #"{"openai": {"keys": [{"value": "k"}], "concurrency_and_buffer_size": {"concurrency": 10, "buffer_size": 10}, "network_config": {"base_url": "https://localhost:\#(mock.port)"}}}"#,
                                          poolSize: 2)
            let clients = try (0..<6).map { _ in try gateway.client() }
            for client in clients {
                try client.send(TestClient.request("POST", "/v1/chat/completions", body: #"{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}"#))
            }
            // Six calls at once share two upstream connections: they all succeed, in three rounds.
            #expect(try clients.map { try $0.readResponse().status } == Array(repeating: 200, count: 6))
            #expect(mock.server.server.acceptedConnections == 2)
        }

        @Test func poolSizeIsSharedOutOverTheLoops() {
            #expect(Gateway.connectionsPerLoop(poolSize: 300, loops: 2) == 150)
            #expect(Gateway.connectionsPerLoop(poolSize: 5, loops: 2) == 3)
            #expect(Gateway.connectionsPerLoop(poolSize: 1, loops: 8) == 1)
        }

        @Test func clientDisconnectCancelsTheUpstreamRequest() throws {
            let mock = try MockServerFixture()
            let gateway = try TestGateway(providers: #"{"openai": {"keys": [{"value": "k"}], "network_config": {"base_url": "https://localhost:\#(mock.port)"}}}"#)
            do {
                let client = try gateway.client()
                try client.send(TestClient.request("POST", "/v1/chat/completions", body: #"{"model":"openai/mock-fault-stall-headers","messages":[{"role":"user","content":"hi"}]}"#))
                #expect(eventually { mock.server.server.openConnections == 1 })
            }  // the client goes away; the mock would otherwise stall for 30 s
            #expect(eventually(within: 3) { mock.server.server.openConnections == 0 })
        }

        @Test func metricsCountKnownTrafficWithCustomLabels() throws {
            let mock = try MockServerFixture()
            let gateway = try TestGateway(providers: #"{"openai": {"keys": [{"value": "sk-never-in-metrics"}], "network_config": {"base_url": "https://localhost:\#(mock.port)"}}}"#,
                                          prometheusLabels: ["team"])
            for _ in 0..<3 {
                let client = try gateway.client()
                try client.send(TestClient.request("POST", "/v1/chat/completions", body: #"{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}"#,
                                                   headers: [("x-bf-prom-team", "search")]))
                #expect(try client.readResponse().status == 200)
            }
            _ = try gateway.post("/v1/chat/completions", #"{"model":"openai/mock-fault-status-503","messages":[{"role":"user","content":"hi"}]}"#)
            let client = try gateway.client()
            try client.send("GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n")
            let text = try client.readResponse().bodyText
            #expect(text.contains(#"bifrost_upstream_requests_total{provider="openai",model="gpt-4o-mini",method="chat_completion",team="search"} 3"#))
            #expect(text.contains(#"bifrost_success_requests_total{provider="openai",model="gpt-4o-mini",method="chat_completion",team="search"} 3"#))
            #expect(text.contains(#"status_code="503""#))
            #expect(text.contains(#"http_requests_total{path="/v1/chat/completions",method="POST",status="200",team="search"} 3"#))
            #expect(text.contains("process_resident_memory_bytes"))
            #expect(!text.contains("sk-never-in-metrics"))
        }

        @Test func modelsAreListedFromTheConfig() throws {
            let gateway = try TestGateway(providers: #"{"openai": {"keys": [{"value": "k", "models": ["gpt-4o", "gpt-4o-mini"]}]}}"#)
            let client = try gateway.client()
            try client.send("GET /v1/models HTTP/1.1\r\nHost: t\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.bodyText.contains("\"openai/gpt-4o-mini\""))
            #expect(response.bodyText.contains("\"openai/gpt-4o\""))
        }
    }
}

/// The mock provider over HTTPS with the test certificates.
final class MockServerFixture: Sendable {
    let server: TestServer
    var port: Int { server.port }

    init(latencyMilliseconds: Int = 0) throws {
        let certificates = TestCertificates.shared
        server = try TestServer(handler: MockProvider(options: MockOptions(latencyMilliseconds: latencyMilliseconds)),
                                tls: try TLSContext(server: TLSServerConfiguration(certificateChainFile: certificates.serverCertificate,
                                                                                   privateKeyFile: certificates.serverKey)))
    }
}

/// Answers 429 (with Retry-After: 0) `failures` times, then succeeds.
final class FlakyUpstream: Sendable {
    let calls = Counter()
    let server: TestServer

    init(failures: Int) throws {
        let calls = self.calls
        let certificates = TestCertificates.shared
        server = try TestServer(handler: ClosureHandler { _, responder in
            calls.increment()
            if calls.value <= failures {
                responder.send(.json(.tooManyRequests, #"{"error":{"message":"slow down","type":"rate_limit"}}"#))
            } else {
                responder.send(.json(.ok, #"{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}]}"#))
            }
        }, tls: try TLSContext(server: TLSServerConfiguration(certificateChainFile: certificates.serverCertificate,
                                                              privateKeyFile: certificates.serverKey)))
    }
}

/// Suites with live gateways run one test at a time (blocking test clients).
@Suite(.serialized) enum LiveGatewayTests {}
