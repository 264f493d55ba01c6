import BifrostPluginKit

/// Weighted random choice among the keys that serve a model.
public struct KeySelector: Sendable {
    /// Picks a key for `model`. All-zero (or negative) weights fall back to a uniform choice.
    /// `avoiding` is left out when another eligible key exists (a retry after 401/403/429).
    public static func select<R: RandomNumberGenerator>(from keys: [ProviderKey], model: String, avoiding: ProviderKey? = nil,
                                                        using generator: inout R) -> ProviderKey? {
        // The common case, one key: no filtering array, no random number.
        if keys.count == 1 { return keys[0].serves(model) ? keys[0] : nil }
        var eligible = keys.filter { $0.serves(model) }
        if let avoiding, eligible.count > 1 { eligible.removeAll { $0 == avoiding } }
        guard !eligible.isEmpty else { return nil }
        let total = eligible.reduce(0) { $0 + max(0, $1.weight) }
        guard total > 0 else { return eligible.randomElement(using: &generator) }
        var point = Double.random(in: 0..<total, using: &generator)
        for key in eligible {
            point -= max(0, key.weight)
            if point < 0 { return key }
        }
        return eligible.last
    }
}
