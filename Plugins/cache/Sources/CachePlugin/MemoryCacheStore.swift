import BifrostPluginKit
import Foundation
import Synchronization

/// An in-process cache bounded by bytes: the least recently used entries are evicted when the
/// total (each entry's JSON size plus a fixed overhead) would exceed `maxBytes`; expired entries
/// are dropped when met. Hits return the stored value without decoding anything.
public final class MemoryCacheStore: CacheStore {
    /// Bytes counted per entry on top of its JSON size (key, bookkeeping).
    public static let entryOverhead = 128

    private let state: Mutex<LRUList>
    private let now: @Sendable () -> ContinuousClock.Instant

    /// - Parameters:
    ///   - maxBytes: the budget for all entries together.
    ///   - now: the clock (tests pass a manual one).
    public init(maxBytes: Int, now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }) {
        state = Mutex(LRUList(maxBytes: maxBytes))
        self.now = now
    }

    public func get(_ key: CacheKey) async throws -> BifrostResponse? {
        let now = self.now()
        return state.withLock { $0.get(key, now: now) }
    }

    public func put(_ key: CacheKey, _ response: BifrostResponse, ttl: Duration) async throws {
        let size = try JSONEncoder().encode(response).count + Self.keptBodySize(response) + Self.entryOverhead
        let expires = now() + ttl
        state.withLock { $0.put(key, response, size: size, expires: expires) }
    }

    public func close() async {}

    /// The provider body a response still holds (to be copied out as it came, so a hit reads like the
    /// miss did), which the entry keeps alive: choices, vectors and the whole body share one buffer.
    static func keptBodySize(_ response: BifrostResponse) -> Int {
        max(response.verbatimBody?.source.count ?? 0, response.deferredChoices?.text.source.count ?? 0,
            response.deferredData?.text.source.count ?? 0)
    }

    /// Bytes held now, and the number of entries.
    public var usage: (bytes: Int, entries: Int) { state.withLock { ($0.bytes, $0.index.count) } }
}

/// A doubly linked list over array slots (most recent at `head`) with a key index.
struct LRUList {
    struct Node {
        var key: CacheKey
        var value: BifrostResponse
        var size: Int
        var expires: ContinuousClock.Instant
        var previous = -1
        var next = -1
    }

    let maxBytes: Int
    private(set) var bytes = 0
    private(set) var index: [CacheKey: Int] = [:]
    private var nodes: [Node?] = []
    private var free: [Int] = []
    private var head = -1
    private var tail = -1

    init(maxBytes: Int) {
        self.maxBytes = maxBytes
    }

    mutating func get(_ key: CacheKey, now: ContinuousClock.Instant) -> BifrostResponse? {
        guard let slot = index[key], let node = nodes[slot] else { return nil }
        if node.expires <= now {
            remove(slot)
            return nil
        }
        unlink(slot)
        pushFront(slot)
        return node.value
    }

    mutating func put(_ key: CacheKey, _ value: BifrostResponse, size: Int, expires: ContinuousClock.Instant) {
        if let slot = index[key] { remove(slot) }
        guard size <= maxBytes else { return }
        while bytes + size > maxBytes, tail >= 0 { remove(tail) }
        let slot = free.popLast() ?? { nodes.append(nil); return nodes.count - 1 }()
        nodes[slot] = Node(key: key, value: value, size: size, expires: expires)
        index[key] = slot
        bytes += size
        pushFront(slot)
    }

    private mutating func remove(_ slot: Int) {
        guard let node = nodes[slot] else { return }
        unlink(slot)
        index[node.key] = nil
        bytes -= node.size
        nodes[slot] = nil
        free.append(slot)
    }

    private mutating func unlink(_ slot: Int) {
        let previous = nodes[slot]!.previous, next = nodes[slot]!.next
        if previous >= 0 { nodes[previous]!.next = next } else { head = next }
        if next >= 0 { nodes[next]!.previous = previous } else { tail = previous }
        nodes[slot]!.previous = -1
        nodes[slot]!.next = -1
    }

    private mutating func pushFront(_ slot: Int) {
        nodes[slot]!.next = head
        nodes[slot]!.previous = -1
        if head >= 0 { nodes[head]!.previous = slot }
        head = slot
        if tail < 0 { tail = slot }
    }
}
