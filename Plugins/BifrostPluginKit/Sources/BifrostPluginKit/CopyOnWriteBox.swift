/// Heap storage shared by copies of a value type until one of them changes (copy on write).
///
/// Requests and responses pass through every plugin hook by value; keeping their fields in one box
/// makes each of those copies a single reference-count increment instead of a copy of every field.
/// `@unchecked Sendable` is sound because the box is only mutated through ``unique(_:)``, that is
/// when the mutating copy is its only owner.
@usableFromInline final class CopyOnWriteBox<Value: Sendable>: @unchecked Sendable {
    var value: Value

    init(_ value: Value) {
        self.value = value
    }

    /// The box `box` may be mutated through: itself when uniquely referenced, else a fresh copy.
    @inline(__always)
    static func unique(_ box: inout CopyOnWriteBox<Value>) -> CopyOnWriteBox<Value> {
        if !isKnownUniquelyReferenced(&box) { box = CopyOnWriteBox(box.value) }
        return box
    }
}
