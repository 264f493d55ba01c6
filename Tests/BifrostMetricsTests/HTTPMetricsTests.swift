import BifrostHTTP
import BifrostMetrics
import BifrostTestSupport
import Prometheus
import Testing

/// Live-socket suites run one test at a time. The blocking test client runs on Dispatch threads
/// (``offPool(_:)``) and the stream handler on the connection's event loop, so these tests never
/// hold or need a cooperative-pool thread.
@Suite(.serialized) enum LiveMetricsTests {}

/// Answers `/health` with a small JSON, `/v1/chat/completions` with the request body echoed,
/// `/events` with a three-event stream, `/big` with 10 000 bytes, `/slow` after 50 ms, and 404 otherwise.
let metricsTestHandler = ClosureHandler { request, responder in
    switch request.path {
    case "/health":
        responder.send(.json(.ok, #"{"status":"ok"}"#))
    case "/v1/chat/completions":
        responder.send(.json(.ok, request.body))
    case "/events":
        let writer = responder.startStream(HTTPResponseHead(status: .ok, headers: HTTPHeaders([("Content-Type", "text/event-stream")])))
        Task(executorPreference: responder.eventLoop) {
            for index in 0..<3 { try await writer.write(Array("data: \(index)\n\n".utf8)) }
            if request.headers["x-cut"] != nil {
                responder.abort()
                return
            }
            writer.finish()
        }
    case "/big":
        responder.send(HTTPResponse(status: .ok, body: [UInt8](repeating: 0x61, count: 10_000)))
    case "/slow":
        after(0.05) { responder.send(HTTPResponse(status: .noContent)) }
    default:
        responder.send(.error(.notFound, type: "not_found", message: "no route"))
    }
}

extension LiveMetricsTests {
    @Suite("HTTP exchange observer")
    struct ObserverTests {
        @Test func recordsSizesStatusAndDurationOfFullResponses() async throws {
            let observer = RecordingObserver()
            let server = try ObservedServer(handler: metricsTestHandler, observer: observer)
            let get = TestClient.request("GET", "/health?verbose=1", headers: [("X-Trace", "1")])
            let post = TestClient.request("POST", "/v1/chat/completions", body: #"{"model":"gpt-4o"}"#)
            let (health, chat, bigResponse, slow) = try await offPool {
                let client = try server.client()
                try client.send(get)
                let health = try client.readResponse()
                try client.send(post)
                let chat = try client.readResponse()
                try client.send(TestClient.request("GET", "/big"))
                let big = try client.readResponse()
                try client.send(TestClient.request("GET", "/slow"))
                return (health, chat, big, try client.readResponse())
            }

            let records = observer.all
            try #require(records.count == 4)
            #expect(records[0].method == "GET")
            #expect(records[0].target == "/health?verbose=1")
            #expect(records[0].path == "/health")
            #expect(records[0].headers["x-trace"] == "1")
            #expect(records[0].status == 200)
            #expect(records[0].requestBytes == get.utf8.count)
            #expect(records[0].responseBytes == wireSize(health, reason: "OK"))
            #expect(records[0].completed)
            #expect(records[1].method == "POST")
            #expect(records[1].requestBytes == post.utf8.count)
            #expect(records[1].responseBytes == wireSize(chat, reason: "OK"))
            #expect(records[2].responseBytes == wireSize(bigResponse, reason: "OK"))
            #expect(records[2].responseBytes > 10_000)
            #expect(records[3].status == 204)
            #expect(records[3].responseBytes == wireSize(slow, reason: "No Content"))
            #expect(records[3].duration >= .milliseconds(45))
        }

        @Test func recordsStreamsWhenTheyFinish() async throws {
            let observer = RecordingObserver()
            let server = try ObservedServer(handler: metricsTestHandler, observer: observer)
            let response = try await offPool {
                let client = try server.client()
                try client.send(TestClient.request("GET", "/events"))
                return try client.readResponse()
            }
            #expect(response.chunkArrivals.count == 3)
            #expect(await waitUntil { observer.all.count == 1 })
            let record = try #require(observer.all.first)
            #expect(record.status == 200)
            #expect(record.path == "/events")
            #expect(record.completed)
            #expect(record.responseBytes == wireSize(response, reason: "OK"))
        }

        @Test func recordsStreamsCutOffAsIncomplete() async throws {
            let observer = RecordingObserver()
            let server = try ObservedServer(handler: metricsTestHandler, observer: observer)
            try await offPool {
                let client = try server.client()
                try client.send(TestClient.request("GET", "/events", headers: [("X-Cut", "1")]))
                _ = try? client.readResponse()
            }
            #expect(await waitUntil { observer.all.count == 1 })
            let record = try #require(observer.all.first)
            #expect(record.status == 200)
            #expect(!record.completed)
            #expect(record.responseBytes > 3 * "data: 0\n\n".utf8.count)
        }

        @Test func recordsErrorsTheServerProducesItself() async throws {
            let observer = RecordingObserver()
            let server = try ObservedServer(handler: metricsTestHandler, observer: observer) { $0.maxBodyBytes = 16 }
            let garbage = "NOT A REQUEST\r\n\r\n"
            let (bad, rejected) = try await offPool {
                let first = try server.client()
                try first.send(garbage)
                let bad = try first.readResponse()
                let second = try server.client()
                try second.send(TestClient.request("POST", "/v1/chat/completions", body: String(repeating: "x", count: 100)))
                return (bad, try second.readResponse())
            }
            #expect(bad.status == 400)
            #expect(rejected.status == 413)
            #expect(await waitUntil { observer.all.count == 2 })
            let records = observer.all.sorted { $0.status < $1.status }
            #expect(records[0].status == 400)
            #expect(records[0].method == "")
            #expect(records[0].path == "")
            #expect(records[0].requestBytes == garbage.utf8.count)
            #expect(records[0].responseBytes == wireSize(bad, reason: "Bad Request"))
            #expect(records[1].status == 413)
            #expect(records[1].method == "POST")
            #expect(records[1].path == "/v1/chat/completions")
            #expect(records[1].responseBytes == wireSize(rejected, reason: "Content Too Large"))
        }
    }

    @Suite("HTTP metrics")
    struct HTTPMetricsTests {
        @Test func countsRequestsByRouteMethodAndStatus() async throws {
            let registry = PrometheusCollectorRegistry()
            let metrics = HTTPMetrics(registry: registry, routeLabel: testRoutes)
            let observer = RecordingObserver(next: metrics)
            let server = try ObservedServer(handler: metricsTestHandler, observer: observer)
            try await offPool {
                let client = try server.client()
                for target in ["/health", "/health?x=1", "/nope/123", "/secret?token=abc"] {
                    try client.send(TestClient.request("GET", target))
                    _ = try client.readResponse()
                }
                let body = #"{"model":"gpt-4o","messages":[]}"#
                try client.send(TestClient.request("POST", "/v1/chat/completions", body: body))
                _ = try client.readResponse()
                try client.send("BREW /health HTTP/1.1\r\nHost: t\r\n\r\n")
                _ = try client.readResponse()
                try client.send(TestClient.request("HEAD", "/health"))
                _ = try client.readResponse(head: true)
            }

            let records = observer.all
            try #require(records.count == 7)
            let text = exposition(registry)
            #expect(text.contains(#"http_requests_total{path="/health",method="GET",status="200"} 2"#))
            #expect(text.contains(#"http_requests_total{path="unmatched",method="GET",status="404"} 2"#))
            #expect(text.contains(#"http_requests_total{path="/v1/chat/completions",method="POST",status="200"} 1"#))
            #expect(text.contains(#"http_requests_total{path="/health",method="OTHER",status="200"} 1"#))
            #expect(text.contains(#"http_requests_total{path="/health",method="HEAD",status="200"} 1"#))
            // Raw paths never become label values.
            #expect(!text.contains("/nope"))
            #expect(!text.contains("secret"))
            #expect(!text.contains("BREW"))

            let health = #"path="/health",method="GET",status="200""#
            #expect(text.contains("http_request_duration_seconds_count{\(health)} 2\n"))
            #expect(text.contains("http_request_size_bytes_count{\(health)} 2\n"))
            let healthBytes = Double(records[0].requestBytes + records[1].requestBytes)
            #expect(sampleValue(text, "http_request_size_bytes_sum{\(health)}") == healthBytes)
            let responseBytes = Double(records[0].responseBytes + records[1].responseBytes)
            #expect(sampleValue(text, "http_response_size_bytes_sum{\(health)}") == responseBytes)
            #expect(text.contains("http_response_size_bytes_bucket{\(health),le=\"100.0\"} 0\n"))
            #expect(text.contains("http_response_size_bytes_bucket{\(health),le=\"1000.0\"} 2\n"))
            let post = #"path="/v1/chat/completions",method="POST",status="200""#
            #expect(sampleValue(text, "http_request_size_bytes_sum{\(post)}") == Double(records[4].requestBytes))
            #expect(text.contains("# TYPE http_request_duration_seconds histogram\n"))
            #expect(text.contains("# TYPE http_requests_total counter\n"))
        }

        @Test func unreadableRequestsAreUnmatched() async throws {
            let registry = PrometheusCollectorRegistry()
            let routesCalled = BifrostTestSupport.Counter()
            let metrics = HTTPMetrics(registry: registry) { path in
                routesCalled.increment()
                return testRoutes(path)
            }
            let server = try ObservedServer(handler: metricsTestHandler, observer: metrics)
            let status = try await offPool {
                let client = try server.client()
                try client.send("GET /health HTTP/1.1\r\nBad Header\r\n\r\n")
                return try client.readResponse().status
            }
            #expect(status == 400)
            #expect(await waitUntil { exposition(registry).contains("http_requests_total{") })
            #expect(exposition(registry).contains(#"http_requests_total{path="unmatched",method="OTHER",status="400"} 1"#))
            #expect(routesCalled.value == 0)
        }

        @Test func customLabelsFromHeaders() async throws {
            let registry = PrometheusCollectorRegistry()
            let metrics = HTTPMetrics(registry: registry, customLabels: ["team", "env"], routeLabel: testRoutes)
            let server = try ObservedServer(handler: metricsTestHandler, observer: metrics)
            try await offPool {
                let client = try server.client()
                try client.send(TestClient.request("GET", "/health", headers: [("X-BF-Prom-Team", #"core "quoted" \ back"#),
                                                                               ("x-bf-prom-undeclared", "zzz")]))
                _ = try client.readResponse()
                try client.send(TestClient.request("GET", "/health"))
                _ = try client.readResponse()
            }
            let text = exposition(registry)
            #expect(text.contains(#"http_requests_total{path="/health",method="GET",status="200",team="core \"quoted\" \\ back",env=""} 1"#))
            #expect(text.contains(#"http_requests_total{path="/health",method="GET",status="200",team="",env=""} 1"#))
            #expect(text.contains(#"http_request_duration_seconds_count{path="/health",method="GET",status="200",team="",env=""} 1"#))
            #expect(!text.contains("undeclared"))
            #expect(!text.contains("zzz"))
        }
    }
}
