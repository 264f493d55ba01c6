import BifrostIO
import BifrostPluginKit
import BifrostRedis
import BifrostTestSupport
import Glibc
import Testing

/// Live tests against a real `redis-server` each test starts on a free loopback port.
@Suite("Redis client against redis-server", .serialized)
struct RedisClientTests {
    /// A client on its own two event loops; `body` runs, then the client closes and the loops stop.
    static func withClient(_ url: String, poolSize: Int = 2, timeout: Double = 2,
                           _ body: (EventLoopRedisClient, EventLoopGroup) async throws -> Void) async throws {
        let group = try EventLoopGroup(loopCount: 2, name: "redis-test")
        let client = try EventLoopRedisClient(configuration: RedisConfiguration(url: url, poolSize: poolSize, timeout: timeout),
                                              group: group)
        do {
            try await body(client, group)
        } catch {
            await client.close()
            group.shutdown()
            throw error
        }
        await client.close()
        group.shutdown()
    }

    @Test func commandsAndReplyTypes() async throws {
        let server = try TestRedisServer()
        try await Self.withClient(server.url()) { redis, _ async throws in
            #expect(try await redis.send(["PING"]) == .simple("PONG"))
            #expect(try await redis.send(["SET", "greeting", "hello"]) == .simple("OK"))
            #expect(try await redis.send(["GET", "greeting"]).string == "hello")
            #expect(try await redis.send(["GET", "missing"]) == .bulk(nil))
            #expect(try await redis.send(["INCRBY", "counter", "5"]) == .integer(5))
            _ = try await redis.send(["RPUSH", "list", "a", "b", "c"])
            #expect(try await redis.send(["LRANGE", "list", "0", "-1"]) == .array([.bulk([97]), .bulk([98]), .bulk([99])]))
            let binary: [UInt8] = [0, 13, 10, 255, 36, 42]
            _ = try await redis.send(bytes: [Array("SET".utf8), Array("bin".utf8), binary])
            #expect(try await redis.send(bytes: [Array("GET".utf8), Array("bin".utf8)]) == .bulk(binary))
            await #expect(throws: RedisError.self) { try await redis.send(["INCR", "greeting"]) }
            do {
                _ = try await redis.send(["NOSUCHCOMMAND"])
                Issue.record("an error reply must throw")
            } catch let error as RedisError {
                #expect(error.kind == .reply)
                #expect(error.description.hasPrefix("ERR"))
            }
            // The connection is still in step after error replies.
            #expect(try await redis.send(["GET", "greeting"]).string == "hello")
        }
    }

    @Test func pipelinedCommandsGetTheirOwnReplies() async throws {
        let server = try TestRedisServer()
        try await Self.withClient(server.url(), poolSize: 2) { redis, _ async throws in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<2000 {
                    group.addTask {
                        _ = try await redis.send(["SET", "key:\(index)", "value:\(index)"])
                        let value = try await redis.send(["GET", "key:\(index)"]).string
                        #expect(value == "value:\(index)")
                        _ = try await redis.send(["INCR", "total"])
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await redis.send(["GET", "total"]).int == 2000)
            // At most poolSize connections per loop carried 6000 commands.
            #expect(await redis.connectionsOpened() <= 4)
        }
    }

    @Test func callsFromTheLoopExecutorStayOnTheLoop() async throws {
        let server = try TestRedisServer()
        try await Self.withClient(server.url()) { redis, group async throws in
            let loop = group.loops[1]
            let onLoop = try await Task(executorPreference: loop) {
                _ = try await redis.send(["SET", "where", "loop"])
                return loop.inEventLoop
            }.value
            #expect(onLoop)
            #expect(try await redis.send(["GET", "where"]).string == "loop")
        }
    }

    @Test func authWithPasswordAndSelectDatabase() async throws {
        let server = try TestRedisServer(password: "pa:ss@word")
        let encoded = "redis://:pa%3Ass%40word@127.0.0.1:\(server.port)"
        try await Self.withClient(encoded + "/3") { redis, _ async throws in
            _ = try await redis.send(["SET", "where", "db3"])
        }
        try await Self.withClient(encoded) { redis, _ async throws in
            #expect(try await redis.send(["GET", "where"]) == .bulk(nil))  // database 0
            _ = try await redis.send(["ACL", "SETUSER", "alice", "on", ">alice-secret", "~*", "+@all"])
        }
        try await Self.withClient("redis://alice:alice-secret@127.0.0.1:\(server.port)/3") { redis, _ async throws in
            #expect(try await redis.send(["GET", "where"]).string == "db3")
            #expect(try await redis.send(["ACL", "WHOAMI"]).string == "alice")
        }
        try await Self.withClient("redis://:wrong@127.0.0.1:\(server.port)") { redis, _ async throws in
            do {
                _ = try await redis.send(["PING"])
                Issue.record("a wrong password must fail")
            } catch let error as RedisError {
                #expect(error.kind == .connect)
                #expect(error.description.contains("AUTH"))
                #expect(!error.description.contains("wrong"))
            }
        }
        try await Self.withClient("redis://127.0.0.1:\(server.port)") { redis, _ async throws in
            await #expect(throws: RedisError.self) { try await redis.send(["GET", "where"]) }
        }
    }

    @Test func evalUsesEvalshaAndLoadsTheScriptOnNoscript() async throws {
        let server = try TestRedisServer()
        let script = "return redis.call('INCRBY', KEYS[1], ARGV[1])"
        try await Self.withClient(server.url()) { redis, _ async throws in
            #expect(try await redis.eval(script: script, keys: ["n"], arguments: ["2"]) == .integer(2))
            #expect(try await redis.eval(script: script, keys: ["n"], arguments: ["3"]) == .integer(5))
            let loaded = try await redis.send(["SCRIPT", "LOAD", script]).string
            let exists = try await redis.send(["SCRIPT", "EXISTS", loaded ?? ""])
            #expect(exists == .array([.integer(1)]))
            _ = try await redis.send(["SCRIPT", "FLUSH"])
            #expect(try await redis.eval(script: script, keys: ["n"], arguments: ["1"]) == .integer(6))
            #expect(try await redis.eval(script: "return {1, 'two', {3}}", keys: [], arguments: [])
                == .array([.integer(1), .bulk(Array("two".utf8)), .array([.integer(3)])]))
            await #expect(throws: RedisError.self) {
                try await redis.eval(script: "return redis.error_reply('nope')", keys: [], arguments: [])
            }
        }
    }

    @Test func aServerThatNeverRepliesTimesOut() async throws {
        // A listening socket nobody accepts from: the TCP handshake completes, no reply ever comes.
        let listener = try Socket.listen(host: "127.0.0.1", port: 0, backlog: 8, reusePort: false)
        defer { closeDescriptor(listener.fd) }
        try await Self.withClient("redis://127.0.0.1:\(listener.port)", timeout: 0.3) { redis, _ async throws in
            let started = nowMilliseconds()
            do {
                _ = try await redis.send(["PING"])
                Issue.record("no reply must be a timeout")
            } catch let error as RedisError {
                #expect(error.kind == .timeout)
            }
            let elapsed = nowMilliseconds() - started
            #expect(elapsed >= 250 && elapsed < 1500)
        }
    }

    @Test func aSlowCommandTimesOutAndTheNextOneReconnects() async throws {
        let server = try TestRedisServer()
        try await Self.withClient(server.url(), poolSize: 1, timeout: 0.3) { redis, _ async throws in
            _ = try await redis.send(["SET", "k", "v"])
            let started = nowMilliseconds()
            do {
                _ = try await redis.send(["DEBUG", "SLEEP", "1"])
                Issue.record("a one-second command must time out after 0.3 s")
            } catch let error as RedisError {
                #expect(error.kind == .timeout)
            }
            let elapsed = nowMilliseconds() - started
            #expect(elapsed >= 250 && elapsed < 900)
            // Redis is busy for the rest of the second; then a fresh connection works.
            var value: String?
            for _ in 0..<40 where value == nil {
                value = try? await redis.send(["GET", "k"]).string
                if value == nil { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(value == "v")
        }
    }

    @Test func aKilledServerFailsCallsFastThenTheClientRecovers() async throws {
        let server = try TestRedisServer()
        try await Self.withClient(server.url(), timeout: 2) { redis, _ async throws in
            _ = try await redis.send(["SET", "k", "before"])
            server.kill()
            for _ in 0..<20 {
                let started = nowMilliseconds()
                do {
                    _ = try await redis.send(["GET", "k"])
                    Issue.record("a dead server cannot answer")
                } catch let error as RedisError {
                    #expect(error.kind == .connect || error.kind == .closed)
                }
                #expect(nowMilliseconds() - started < 500, "must fail fast, not wait for the 2 s timeout")
            }
            try server.start()
            var value: RESPValue?
            for _ in 0..<60 where value == nil {
                value = try? await redis.send(["SET", "k", "after"])
                if value == nil { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(value == .simple("OK"))
            #expect(try await redis.send(["GET", "k"]).string == "after")
        }
    }

    @Test func unreachableRedisFailsWithConnectError() async throws {
        let port = try Socket.probeAvailability(host: "127.0.0.1", port: 0)
        try await Self.withClient("redis://127.0.0.1:\(port)", timeout: 1) { redis, _ async throws in
            do {
                _ = try await redis.send(["PING"])
                Issue.record("nothing listens there")
            } catch let error as RedisError {
                #expect(error.kind == .connect)
                #expect(error.description.contains("127.0.0.1:\(port)"))
            }
        }
    }

    @Test func closedClientRefusesCalls() async throws {
        let server = try TestRedisServer()
        let group = try EventLoopGroup(loopCount: 1, name: "redis-close")
        defer { group.shutdown() }
        let redis = try EventLoopRedisClient(configuration: RedisConfiguration(url: server.url()), group: group)
        #expect(try await redis.send(["PING"]) == .simple("PONG"))
        await redis.close()
        do {
            _ = try await redis.send(["PING"])
            Issue.record("a closed client must refuse")
        } catch let error as RedisError {
            #expect(error.kind == .closed)
        }
    }

    @Test func factoryForPluginServices() async throws {
        let server = try TestRedisServer()
        let group = try EventLoopGroup(loopCount: 1, name: "redis-factory")
        defer { group.shutdown() }
        let make = EventLoopRedisClient.factory(group: group)
        let redis = try make(RedisConfiguration(url: server.url()))
        #expect(try await redis.send(["PING"]) == .simple("PONG"))
        await redis.close()
        #expect(throws: RedisError.self) { _ = try make(RedisConfiguration(url: "http://nope")) }
    }
}
