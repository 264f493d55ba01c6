import BifrostCore
import BifrostTransport
import Foundation
import Testing

@Suite("config.json: the server section")
struct GatewayConfigTests {
    private func parse(_ json: String) throws -> GatewayConfig {
        try GatewayConfig.parse(Data(json.utf8), path: "test.json")
    }

    private func expectError(_ json: String, mentioning fragments: String...) {
        do {
            _ = try parse(json)
            Issue.record("config was accepted: \(json)")
        } catch {
            let text = "\(error)"
            #expect(text.hasPrefix("test.json: "))
            for fragment in fragments { #expect(text.contains(fragment), "\(text) should mention \(fragment)") }
        }
    }

    @Test func emptyConfigUsesDefaults() throws {
        let config = try parse("{}")
        #expect(config.eventLoops == nil)
        #expect(config.server.maxConnections == 10_000)
        #expect(config.server.parserLimits.maxHeadBytes == 16 * 1024)
    }

    @Test func otherSectionsAreLeftForTheirModules() throws {
        _ = try parse(#"{"providers": {"openai": {"keys": []}}, "plugins": []}"#)
    }

    @Test func serverSectionIsApplied() throws {
        let config = try parse(#"""
        {"server": {"event_loops": 3, "max_connections": 50, "max_header_bytes": 4096, "max_header_count": 20,
                    "max_body_bytes": 1000, "idle_timeout_seconds": 5, "header_read_timeout_seconds": 1.5,
                    "body_read_timeout_seconds": 7, "write_timeout_seconds": 9, "shutdown_grace_period_seconds": 0}}
        """#)
        #expect(config.eventLoops == 3)
        #expect(config.server.maxConnections == 50)
        #expect(config.server.parserLimits.maxHeadBytes == 4096)
        #expect(config.server.parserLimits.maxHeaderCount == 20)
        #expect(config.server.maxBodyBytes == 1000)
        #expect(config.server.idleTimeout == 5)
        #expect(config.server.headerReadTimeout == 1.5)
        #expect(config.server.bodyReadTimeout == 7)
        #expect(config.server.writeTimeout == 9)
        #expect(config.server.shutdownGracePeriod == 0)
    }

    @Test func invalidJSONIsReportedWithTheFile() {
        expectError(#"{"server": "#, mentioning: "not valid JSON")
    }

    @Test func unknownServerKeyIsNamed() {
        expectError(#"{"server": {"max_conections": 5}}"#, mentioning: "server.max_conections", "unknown key")
    }

    @Test func wrongTypeIsNamed() {
        expectError(#"{"server": {"max_connections": "lots"}}"#, mentioning: "server.max_connections", "integer")
        expectError(#"{"server": {"max_connections": true}}"#, mentioning: "server.max_connections", "integer")
        expectError(#"{"server": {"idle_timeout_seconds": "5s"}}"#, mentioning: "server.idle_timeout_seconds", "seconds")
        expectError(#"{"server": []}"#, mentioning: "\"server\" must be an object")
        expectError(#"[1, 2]"#, mentioning: "top level")
    }

    @Test func outOfRangeValueIsNamed() {
        expectError(#"{"server": {"event_loops": 0}}"#, mentioning: "server.event_loops", "out of range")
        expectError(#"{"server": {"idle_timeout_seconds": -1}}"#, mentioning: "server.idle_timeout_seconds")
        expectError(#"{"server": {"max_header_bytes": 10}}"#, mentioning: "server.max_header_bytes", "1024")
    }

    @Test func missingFileIsReported() {
        #expect(throws: ConfigError.self) { try GatewayConfig.load(path: "/nonexistent/config.json") }
    }

    @Test func repositoryConfigIsValid() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        _ = try GatewayConfig.load(path: root.appendingPathComponent("config.json").path)
    }
}
