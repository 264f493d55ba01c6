import AuthPlugin
import BifrostPluginKit
import BifrostTestSupport
import RateLimitPlugin
import Testing

extension LivePluginGatewayTests {
    @Suite("ratelimit plugin over HTTP")
    struct RateLimitGatewayTests {
        static let body = #"{"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}"#

        @Test func overTheLimitIs429WithRetryAfter() throws {
            let (plugin, _) = try rateLimiter(#"{"rules": [{"requests_per_minute": 2}]}"#)
            let gateway = try PluginGateway(plugins: [plugin])
            defer { gateway.stop() }
            for _ in 0..<2 { #expect(try gateway.post("/v1/chat/completions", Self.body).status == 200) }
            let limited = try gateway.post("/v1/chat/completions", Self.body)
            #expect(limited.status == 429)
            #expect(limited.header("Retry-After") == "30")  // 2 per minute: one every 30 s
            let error = try #require(jsonBody(limited.bodyText)?["error"] as? [String: Any])
            #expect((error["message"] as? String)?.contains("rate limit exceeded") == true)
            #expect(gateway.upstream.calls.value == 2)
        }

        @Test func virtualKeysFromTheAuthPluginGetTheirOwnLimits() throws {
            let auth = try AuthPlugin(config: try JSONParser.parse(Array(
                #"{"keys": [{"name": "team-a", "value": "vk-a"}, {"name": "team-b", "value": "vk-b"}]}"#.utf8)))
            let (limiter, _) = try rateLimiter(#"{"rules": [{"scope": ["virtual_key"], "requests_per_minute": 1}]}"#)
            let gateway = try PluginGateway(plugins: [auth, limiter])
            defer { gateway.stop() }
            #expect(try gateway.post("/v1/chat/completions", Self.body, headers: [("x-bf-vk", "vk-a")]).status == 200)
            let limited = try gateway.post("/v1/chat/completions", Self.body, headers: [("x-bf-vk", "vk-a")])
            #expect(limited.status == 429)
            #expect(limited.bodyText.contains("virtual_key=team-a"))
            #expect(try gateway.post("/v1/chat/completions", Self.body, headers: [("x-bf-vk", "vk-b")]).status == 200)
        }

        @Test func twoGatewaysSharingRedisEnforceOneLimit() throws {
            let server = try TestRedisServer()
            let rules = #"[{"requests_per_minute": 3}]"#
            let first = try PluginGateway(plugins: [try redisRateLimiter(rules, server: server, group: RateLimitTestLoops.replicaA)])
            defer { first.stop() }
            let second = try PluginGateway(plugins: [try redisRateLimiter(rules, server: server, group: RateLimitTestLoops.replicaB)])
            defer { second.stop() }
            var statuses: [Int] = []
            for index in 0..<6 {
                statuses.append(try (index % 2 == 0 ? first : second).post("/v1/chat/completions", Self.body).status)
            }
            #expect(statuses.filter { $0 == 200 }.count == 3)
            #expect(statuses.filter { $0 == 429 }.count == 3)
            #expect(first.upstream.calls.value + second.upstream.calls.value == 3)
        }
    }
}
